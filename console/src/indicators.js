// indicators.js - indicators pasted as lines, one per line.
//
// A line is `type value` (type one of the API's indicator types) or just a
// value whose type is guessed from its shape.  Defanged forms that reports
// use (hxxp://, example[.]org, 192.0.2[.]1, user[@]example.org) are turned
// back first.  Blank lines and lines starting with # are skipped.  The
// server validates and normalises every value; this only decides the type,
// and says which line it could not read.

export const TYPES = ["ipv4", "ipv6", "cidr", "domain", "url", "email", "md5", "sha1", "sha256", "cve"];

function refang(value) {
  return value
    .replace(/\[\.\]|\(\.\)|\{\.\}|\[dot\]/gi, ".")
    .replace(/\[:\]/g, ":")
    .replace(/\[@\]|\[at\]/gi, "@")
    .replace(/^hxxp(s?):\/\//i, "http$1://")
    .replace(/^fxp:\/\//i, "ftp://");
}

/** The type a bare value looks like, or null. */
export function guessType(value) {
  const v = value.trim();
  if (/^cve-\d{4}-\d{4,}$/i.test(v)) return "cve";
  if (/^[a-f0-9]{32}$/i.test(v)) return "md5";
  if (/^[a-f0-9]{40}$/i.test(v)) return "sha1";
  if (/^[a-f0-9]{64}$/i.test(v)) return "sha256";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return "url";
  if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) return "email";
  if (/^[0-9.]+\/\d{1,2}$/.test(v) || /^[0-9a-f:.]*:[0-9a-f:.]*\/\d{1,3}$/i.test(v)) return "cidr";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v)) return "ipv4";
  if (/^[0-9a-f:.]+$/i.test(v) && v.includes(":")) return "ipv6";
  if (/^(?=.*[a-z])[a-z0-9_-]+(\.[a-z0-9_-]+)+\.?$/i.test(v)) return "domain";
  return null;
}

/**
 * text → {items: [{type, value, line}], errors: [{line, message}]}; line
 * numbers count from 1.
 */
export function parseIndicators(text) {
  const items = [];
  const errors = [];
  String(text || "").split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = line.match(/^(\S+)\s+(\S.*)$/);
    if (m && TYPES.includes(m[1].toLowerCase())) {
      items.push({ type: m[1].toLowerCase(), value: refang(m[2].trim()), line: i + 1 });
      return;
    }
    if (/\s/.test(line)) {
      errors.push({ line: i + 1, message: `"${line}": write one indicator per line, as "type value" or the value alone` });
      return;
    }
    const value = refang(line);
    const type = guessType(value);
    if (type) items.push({ type, value, line: i + 1 });
    else errors.push({ line: i + 1, message: `"${line}": cannot tell its type; write it as "type value" (${TYPES.join(", ")})` });
  });
  return { items, errors };
}

/** Indicators back to lines (editing a post). */
export function formatIndicators(list) {
  return (list || []).map((i) => `${i.type} ${i.value}`).join("\n");
}
