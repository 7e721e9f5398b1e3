/**
 * The failure converter of an encrypting data converter: failure messages
 * and stack traces move into an encoded payload (`encodedAttributes`), which
 * the payload codec then encrypts like any other payload.
 *
 * It is named by path (`failureConverterPath`), as the SDK requires, so it
 * must stay importable both by Node and by the workflow bundler: nothing
 * but `@temporalio/common` here.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
