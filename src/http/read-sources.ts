/** The record sources of the read routes (GET image, batch-get): the stored cache and, when the service extracts, the extraction view. */
import { ErrorCodes } from '../errors.js';
import { ApiError } from './errors.js';
import type { RouteDeps } from './route.js';
import type { RecordSources, SourceChoice } from '../sources.js';

/** The sources a read may use; 400 when it asks for extracted records from an app without extraction. */
export function sourcesOf(deps: Pick<RouteDeps, 'cache' | 'images'>, choice: SourceChoice): RecordSources {
  const extracted = deps.images?.extracted;
  if (choice === 'extracted' && extracted === undefined) {
    throw new ApiError(400, ErrorCodes.INVALID_ARGUMENT, 'source "extracted" is not available: this service does not extract features');
  }
  return extracted ? { stored: deps.cache, extracted } : { stored: deps.cache };
}
