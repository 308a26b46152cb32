import { IConstruct } from 'constructs';

/**
 * Runs the checks of a construct and prefixes any error with the construct's path: a user
 * with fifty workflows needs to know which one is wrong.
 */
export function validatedIn<T>(scope: IConstruct, checks: () => T): T {
  try {
    return checks();
  } catch (e) {
    if (e instanceof Error && !e.message.startsWith(`${scope.node.path}: `)) {
      e.message = `${scope.node.path}: ${e.message}`;
    }
    throw e;
  }
}
