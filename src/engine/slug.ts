/**
 * Default stage ids (docs/semantics.md "Stages"): the slug of a stage's raw name with
 * its `${{ }}` templates stripped.
 *
 * Pure and deterministic: safe to import from Temporal workflow code.
 */

/** The id used when slugifying leaves nothing. */
export const EMPTY_SLUG = 'stage';

/**
 * Removes every complete `${{ … }}` template from a raw string. A `}}` inside
 * a quoted string literal of the expression (`${{ format('}}') }}`) does not
 * end the template; an unterminated `${{` is kept as text.
 */
export function stripTemplates(raw: string): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const start = raw.indexOf('${{', i);
    if (start < 0) break;
    const end = templateEnd(raw, start + 3);
    if (end < 0) break;
    out += raw.slice(i, start);
    i = end;
  }
  return out + raw.slice(i);
}

/** Index just past the `}}` closing a template whose body starts at `from`, or -1. */
function templateEnd(raw: string, from: number): number {
  let quote = '';
  for (let j = from; j < raw.length; j++) {
    const ch = raw[j];
    if (quote) {
      if (ch === quote) {
        if (raw[j + 1] === quote)
          j++; // '' escapes a quote inside a string
        else quote = '';
      }
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '}' && raw[j + 1] === '}') {
      return j + 2;
    }
  }
  return -1;
}

/**
 * The default stage id for a raw stage name: templates stripped, lowercased,
 * every run of characters outside `[a-z0-9]` replaced by `-`, leading and
 * trailing `-` trimmed; {@link EMPTY_SLUG} (`stage`) when nothing is left.
 *
 * @example slugify('Process ${{ matrix.region }}') === 'process'
 * @example slugify('Download data') === 'download-data'
 */
export function slugify(name: string): string {
  const slug = stripTemplates(name)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug === '' ? EMPTY_SLUG : slug;
}
