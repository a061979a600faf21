/** What a field's (or a URL parameter's) name says about its value, from the word lists in rules.ts. */
import { FIELD_NAME_WORDS, PERSONAL_DATA } from "./rules";

export type PersonalKind = "email" | "phone" | "ip" | "identifier" | "name";

export interface FieldClass {
  /** The value is a credential (strings and numbers in it are redacted). */
  readonly secret: boolean;
  /** The name describes a secret (`*_enabled`, `*_at`, `*_type`…): kept, even as a scalar inside a secret. */
  readonly describesSecret: boolean;
  /** Personal data pseudonymised when a key is configured. */
  readonly personal: PersonalKind | undefined;
}

const SECRET = new Set<string>(FIELD_NAME_WORDS.secret);
const CODE_NOT_SECRET_WITH = new Set<string>(FIELD_NAME_WORDS.codeIsNotSecretWith);
const KEY_SECRET_WITH = new Set<string>(FIELD_NAME_WORDS.keyIsSecretWith);
const DESCRIBES_SECRET = new Set<string>(FIELD_NAME_WORDS.describesSecret);
const URL_ALSO_SECRET = new Set<string>(FIELD_NAME_WORDS.urlParameterAlsoSecret);
const SECRET_ENDINGS: readonly string[] = FIELD_NAME_WORDS.secretEndings;
const CODE_SECRET_AFTER = new Set<string>(FIELD_NAME_WORDS.codeIsSecretAfter);
const PHRASE_SECRET_WITH = new Set<string>(FIELD_NAME_WORDS.phraseIsSecretWith);
const CODE_NOT_SECRET_UNDER = new Set<string>(FIELD_NAME_WORDS.codeIsNotSecretUnder);

/** An object whose `code` field is a reason's or an error's code (`failed_reason`, `error`). */
export function holdsReasonCode(name: string): boolean {
  return nameWords(name).some((word) => CODE_NOT_SECRET_UNDER.has(word));
}
const NAME_QUALIFIERS = new Set<string>(PERSONAL_DATA.personName.qualifier);
const PERSONAL_KINDS = (["email", "phone", "ip", "identifier"] as const).map((kind) => ({
  kind,
  word: PERSONAL_DATA[kind].word,
  lastWords: new Set<string>(PERSONAL_DATA[kind].lastWord),
}));

/** `otpCode`, `otp_code`, `X-Otp-Code`, `__clerk_ticket`, `HTTPStatusCode` → lowercase words. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "");
}

function namesSecret(words: readonly string[]): boolean {
  for (const word of words) {
    if (SECRET.has(word)) return true;
    if ((word === "code" || word === "codes") && !words.some((w) => CODE_NOT_SECRET_WITH.has(w))) return true;
    if ((word === "key" || word === "keys") && words.some((w) => KEY_SECRET_WITH.has(w))) return true;
    if (word === "phrase" && words.some((w) => PHRASE_SECRET_WITH.has(w))) return true;
    if (isSecretCompound(word)) return true;
  }
  return false;
}

/** One word made of two (`accesstoken`, `otpcode`, `privatekey`): judged by its parts. */
function isSecretCompound(word: string): boolean {
  if (SECRET_ENDINGS.some((ending) => word.length > ending.length && word.endsWith(ending))) return true;
  const parts = /^(.+?)(codes?|keys?)$/.exec(word);
  if (!parts) return false;
  const [, head = "", tail = ""] = parts;
  return tail.startsWith("code") ? CODE_SECRET_AFTER.has(head) : KEY_SECRET_WITH.has(head);
}

function personalKind(words: readonly string[]): PersonalKind | undefined {
  const last = words[words.length - 1];
  if (last === undefined || words[0] === PERSONAL_DATA.senderFirstWord) return undefined;
  if (last === PERSONAL_DATA.personName.lastWord && words.some((w) => NAME_QUALIFIERS.has(w))) return "name";
  for (const { kind, word, lastWords } of PERSONAL_KINDS) {
    if (lastWords.has(last) && words.includes(word)) return kind;
  }
  return undefined;
}

export function classifyField(name: string): FieldClass {
  const words = nameWords(name);
  const last = words[words.length - 1];
  const describesSecret = last !== undefined && DESCRIBES_SECRET.has(last);
  return {
    secret: !describesSecret && namesSecret(words),
    describesSecret,
    // `name` also describes a secret (`token_name`), but `first_name` is a person's.
    personal: describesSecret && last !== PERSONAL_DATA.personName.lastWord ? undefined : personalKind(words),
  };
}

/** A query or fragment parameter whose value is a credential (`token`, `__clerk_ticket`, `code`, `key`…). */
export function isCredentialParameter(name: string): boolean {
  const words = nameWords(name);
  const last = words[words.length - 1];
  if (last === undefined || DESCRIBES_SECRET.has(last)) return false;
  return namesSecret(words) || words.some((word) => URL_ALSO_SECRET.has(word));
}

/**
 * Field names repeat across events (Clerk's schema is small), so each is judged once per container. User
 * metadata can bring unbounded names: past the cap they are judged each time instead of growing memory.
 */
export function cached<T>(judge: (name: string) => T, cap = 10_000): (name: string) => T {
  const seen = new Map<string, T>();
  return (name) => {
    let verdict = seen.get(name);
    if (verdict === undefined) {
      verdict = judge(name);
      if (seen.size < cap) seen.set(name, verdict);
    }
    return verdict;
  };
}
