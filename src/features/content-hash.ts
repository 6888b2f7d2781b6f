/** `content_hash`: SHA-256 of the input bytes, lowercase hex — equal only for identical files. */
import { createHash } from 'node:crypto';

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
