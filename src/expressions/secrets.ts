/**
 * The `secrets` namespace, in one place: which references read it, which
 * secret names a template reads, and how display text hides templates of
 * secrets. Every layer asks here — validation (`config/expression-checks.ts`),
 * workflow code that defers secrets and masks them in names and messages
 * (`workflows/`), and the worker that renders them (`activities/secrets.ts`)
 * — so `${{ Secrets.TOKEN }}` means the same thing to all of them.
 *
 * Namespaces are case-insensitive, as in GitHub Actions (`Secrets`, `SECRETS`
 * and `secrets` are one namespace); secret names are compared by
 * {@link secretKey} (`db-pass`, `DB_PASS` and `Db-Pass` are one secret).
 *
 * Pure module: safe to import from workflow code.
 */
import { analyzeExpression, namespaceKey, type ExpressionAnalysis } from './analyze.js';
import { parseTemplate, type RenderOptions } from './template.js';

/** The namespace of worker secrets (`${{ secrets.NAME }}`). */
export const SECRETS_NAMESPACE = 'secrets';

/** What replaces a secret (or a template of one) in text we show. */
export const MASK = '***';

/**
 * Render options of workflow code: templates that read secrets stay verbatim,
 * for the worker to render (secrets never enter workflow code or history).
 */
export const DEFER_SECRETS: RenderOptions = { defer: [SECRETS_NAMESPACE] };

/** Whether a reference root (as written) is the secrets namespace, in any case. */
export function isSecretsRoot(root: unknown): boolean {
  return namespaceKey(root) === SECRETS_NAMESPACE;
}

/** The key of a secret name: upper-cased, `-` → `_` (`secrets.db-pass` → `DB_PASS`). */
export function secretKey(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

/** What one expression reads of the secrets namespace. */
export interface SecretReads {
  /** The literal names it reads, as written, in order (`secrets.A` → `A`). */
  readonly names: readonly string[];
  /** It reads `secrets` without a literal name (`secrets[x]`, `secrets.*`, `toJson(secrets)`). */
  readonly dynamic: boolean;
  /** The other namespaces it reads, as written, each once. */
  readonly others: readonly string[];
}

/** What an analysed expression reads of secrets; `undefined` when it reads none. */
export function secretReads(analysis: ExpressionAnalysis): SecretReads | undefined {
  const secrets = analysis.references.filter((r) => isSecretsRoot(r.path[0]));
  if (secrets.length === 0) return undefined;
  const names: string[] = [];
  let dynamic = false;
  for (const ref of secrets) {
    const name = ref.path[1];
    if (name === undefined || name === '*') dynamic = true;
    else names.push(name);
  }
  const others = [...new Set(analysis.references.filter((r) => !isSecretsRoot(r.path[0])).map((r) => String(r.path[0])))];
  return { names, dynamic, others };
}

/** Cheap pre-check: text that cannot hold a template of secrets. */
function cannotReadSecrets(text: string): boolean {
  return !text.includes('${{') || !/secrets/i.test(text);
}

/**
 * The secret names the templates in `text` read by literal name, as written
 * (each once). A template that does not parse reads none here: it fails when
 * it is rendered.
 */
export function secretNamesIn(text: string): string[] {
  if (cannotReadSecrets(text)) return [];
  const names = new Set<string>();
  let parts;
  try {
    parts = parseTemplate(text);
  } catch {
    return [];
  }
  for (const part of parts) {
    if (part.kind !== 'expression') continue;
    try {
      for (const name of secretReads(analyzeExpression(part.source))?.names ?? []) names.add(name);
    } catch {
      // Does not parse: fails when rendered.
    }
  }
  return [...names];
}

/** A template that mentions `secrets` as a word: the fallback for text that does not parse. */
const SECRET_TEMPLATE_TEXT = /\$\{\{((?!\}\}).)*\bsecrets\b((?!\}\}).)*\}\}/gis;

/**
 * `text` with every `${{ }}` that reads secrets replaced by {@link MASK}: the
 * display form of text that workflow code rendered with
 * {@link DEFER_SECRETS} (stage names, `echo`, `raise`, `approval`), where
 * such templates would otherwise show as template text. A template that does
 * not parse is masked when it mentions `secrets` at all.
 */
export function maskSecretTemplates(text: string): string {
  if (cannotReadSecrets(text)) return text;
  let parts;
  try {
    parts = parseTemplate(text);
  } catch {
    return text.replace(SECRET_TEMPLATE_TEXT, MASK);
  }
  let out = '';
  for (const part of parts) {
    if (part.kind === 'text') out += part.text;
    else out += readsSecrets(part.source, part.raw) ? MASK : part.raw;
  }
  return out;
}

function readsSecrets(source: string, raw: string): boolean {
  try {
    return secretReads(analyzeExpression(source)) !== undefined;
  } catch {
    return /\bsecrets\b/i.test(raw);
  }
}
