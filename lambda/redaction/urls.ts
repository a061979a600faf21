/**
 * Credentials carried by URLs inside any string: the value of a credential-like query or fragment parameter
 * (`?token=…`, `&__clerk_ticket=…`, `#key=…`, `&amp;code=…` in HTML) and a user-info password
 * (`https://user:pass@host`). Only those values become the marker; the origin, path and the other
 * parameters stay as sent, so analytics still see which page a link pointed to. A credential needs no
 * telling name to be caught: a token-shaped value of a one- or two-letter parameter (`?t=…`) and a
 * token-shaped path segment after a credential-named one (`/reset-password/<token>`, `/magic/<token>`)
 * go too (a JWT anywhere is the `secret-value` rule's). A string holding a
 * link percent-encoded as a whole (`https%3A%2F%2F…%3Ftoken%3D…`) has no value to cut out: it goes whole.
 */

// A parameter starts the string or follows ?, &, # or ; (`&amp;` in HTML ends in ;). Its value stops at the
// next separator, quote, angle bracket or whitespace, so it never runs into the surrounding HTML or text.
const PARAMETER = /(^|[?&#;])([^=&#?;\s"'<>]{1,100})=([^&#?;\s"'<>]*)/g;
const USER_INFO_PASSWORD = /(:\/\/[^/\s:@"'<>]*:)([^/\s@"'<>]+)@/g;
// A link's path: what follows the host up to the query, fragment or the end of the link.
const LINK_PATH = /(\bhttps?:\/\/[^\s/?#"'<>]+)(\/[^\s?#"'<>]*)/g;
// A credential a server generated: long, from a URL-safe alphabet, with letters and digits mixed.
const TOKEN_SHAPED = /^[A-Za-z0-9_\-.~+/=%]{16,}$/;
// The parameter names that say nothing (`t`, `k`, `c`, `tk`): judged by their value instead.
const SHORT_NAME_MAX = 2;
// Enough decoding for a link wrapped in another link's redirect parameter, twice.
const MAX_DECODE_DEPTH = 3;
// `=` percent-encoded once or more (`%3D`, `%253D`): a link encoded as a whole hides its parameters.
const ENCODED_EQUALS = /%(?:25)*3d/i;

export type ParameterJudge = (name: string) => boolean;

export function redactUrlCredentials(text: string, isCredential: ParameterJudge, marker: string): string {
  // Most strings (ids, names, timestamps) carry neither `=` nor `@`: skip the regexes for them.
  const hasParameter = text.includes("=");
  const hasLink = text.includes("://");
  const hasUserInfo = hasLink && text.includes("@");
  const hasEncoded = text.includes("%") && ENCODED_EQUALS.test(text);
  if (!hasParameter && !hasLink && !hasEncoded) return text;
  let out = text;
  if (hasLink)
    out = out.replace(
      LINK_PATH,
      (_match, origin: string, path: string) => origin + redactPath(path, isCredential, marker),
    );
  if (hasParameter) {
    out = out.replace(PARAMETER, (match, separator: string, name: string, value: string) => {
      if (value === "" || value === marker) return match;
      const shortAndToken = name.length <= SHORT_NAME_MAX && isTokenShaped(value);
      if (
        shortAndToken ||
        isCredential(decodeSafely(name)) ||
        carriesCredential(value, isCredential, marker, 1)
      ) {
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

function isTokenShaped(value: string): boolean {
  return TOKEN_SHAPED.test(value) && /[0-9]/.test(value) && /[A-Za-z]/.test(value);
}

/** `/reset-password/<token>/x` → `/reset-password/[redacted]/x`: a token after a credential-named segment. */
function redactPath(path: string, isCredential: ParameterJudge, marker: string): string {
  const segments = path.split("/");
  let changed = false;
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i] ?? "";
    if (isTokenShaped(segment) && isCredential(decodeSafely(segments[i - 1] ?? ""))) {
      segments[i] = marker;
      changed = true;
    }
  }
  return changed ? segments.join("/") : path;
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
