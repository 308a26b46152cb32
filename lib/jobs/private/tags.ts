import { fail, validateStringMap } from '../../private/validate';

/** Validates a tag map against SageMaker's tag limits. */
export function validateTags(tags: { [key: string]: string } | undefined): void {
  validateStringMap('tags', tags, {
    maxEntries: 50,
    keyPattern: /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u,
    keyAllowed: 'letters, digits, spaces and _ . : / = + - @',
    maxKeyLength: 128,
    maxValueLength: 256,
  });
  for (const key of Object.keys(tags ?? {})) {
    if (key.toLowerCase().startsWith('aws:')) fail(`tags key must not start with 'aws:' (reserved), got '${key}'`);
  }
}
