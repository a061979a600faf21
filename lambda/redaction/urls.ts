/**
 * Credentials carried by URLs inside any string: the value of a credential-like query or fragment parameter
 * (`?token=…`, `&__clerk_ticket=…`, `#key=…`, `&amp;code=…` in HTML) and a user-info password
 * (`https://user:pass@host`). Only those values become the marker; the origin, path and the other
 * parameters stay as sent, so analytics still see which page a link pointed to. A string holding a
 * link percent-encoded as a whole (`https%3A%2F%2F…%3Ftoken%3D…`) has no value to cut out: it goes whole.
 */

// A parameter starts the string or follows ?, &, # or ; (`&amp;` in HTML ends in ;). Its value stops at the
// next separator, quote, angle bracket or whitespace, so it never runs into the surrounding HTML or text.
const PARAMETER = /(^|[?&#;])([^=&#?;\s"'<>]{1,100})=([^&#?;\s"'<>]*)/g;
const USER_INFO_PASSWORD = /(:\/\/[^/\s:@"'<>]*:)([^/\s@"'<>]+)@/g;
// Enough decoding for a link wrapped in another link's redirect parameter, twice.
const MAX_DECODE_DEPTH = 3;
// `=` percent-encoded once or more (`%3D`, `%253D`): a link encoded as a whole hides its parameters.
const ENCODED_EQUALS = /%(?:25)*3d/i;

export type ParameterJudge = (name: string) => boolean;

export function redactUrlCredentials(text: string, isCredential: ParameterJudge, marker: string): string {
  // Most strings (ids, names, timestamps) carry neither `=` nor `@`: skip the regexes for them.
  const hasParameter = text.includes("=");
  const hasUserInfo = text.includes("@") && text.includes("://");
  const hasEncoded = text.includes("%") && ENCODED_EQUALS.test(text);
  if (!hasParameter && !hasUserInfo && !hasEncoded) return text;
  let out = text;
  if (hasParameter) {
    out = out.replace(PARAMETER, (match, separator: string, name: string, value: string) => {
      if (value === "" || value === marker) return match;
      if (isCredential(decodeSafely(name)) || carriesCredential(value, isCredential, marker, 1)) {
        return `${separator}${name}=${marker}`;
      }
      return match;
    });
  }
  if (hasUserInfo) out = out.replace(USER_INFO_PASSWORD, (_match, head: string) => `${head}${marker}@`);
  // What is left encoded is not any parameter's value: there is no value to cut out, so all of it goes.
  if (hasEncoded && carriesCredential(out, isCredential, marker, 1)) return marker;
  return out;
}

/** A parameter value that is itself an encoded link with a credential (`redirect_url=https%3A…%3Ftoken%3D…`). */
function carriesCredential(
  value: string,
  isCredential: ParameterJudge,
  marker: string,
  depth: number,
): boolean {
  if (depth > MAX_DECODE_DEPTH || !value.includes("%")) return false;
  const decoded = decodeSafely(value);
  if (decoded === value) return false;
  return redactUrlCredentials(decoded, isCredential, marker) !== decoded
    ? true
    : carriesCredential(decoded, isCredential, marker, depth + 1);
}

function decodeSafely(text: string): string {
  if (!text.includes("%") && !text.includes("+")) return text;
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}
