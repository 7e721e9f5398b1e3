/**
 * The secrets a worker can render (docs/security.md, "Secrets"): the known
 * values of `config/secret-values.ts` (`TEMPOFLOW_SECRET_<NAME>` variables of
 * the worker, the file named by `WORKFLOW_CORE_SECRETS_FILE`, values given in
 * code), plus the masker of every value.
 */
import { SecretValues } from '../config/secret-values.js';
import { Masker, MIN_SECRET_LENGTH } from './masking.js';

export { parseSecretsFile, SECRET_ENV_PREFIX, secretEnvName, SECRETS_FILE_ENV, SecretsFileError, type SecretSources } from '../config/secret-values.js';

/**
 * The secrets a worker can render, and the masker of their values. The file
 * is re-read by `load()` when it changes, so a rotated file is picked up by
 * the next stage without restarting the worker.
 */
export class SecretStore extends SecretValues {
  private cachedMasker: Masker | undefined;

  protected override changed(): void {
    this.cachedMasker = undefined;
  }

  /** A masker of every known value of at least {@link MIN_SECRET_LENGTH} characters. */
  masker(): Masker {
    if (this.cachedMasker) return this.cachedMasker;
    const values: string[] = [];
    for (const [key, value] of this.all()) {
      if (value.length >= MIN_SECRET_LENGTH) values.push(value);
      else if (value.length > 0) this.warn(`secret ${key} is shorter than ${MIN_SECRET_LENGTH} characters: it is not masked, and stages that reference it fail`);
    }
    this.cachedMasker = new Masker(values);
    return this.cachedMasker;
  }
}
