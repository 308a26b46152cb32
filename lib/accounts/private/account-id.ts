import { Token } from 'aws-cdk-lib';
import { fail } from '../../private/validate';

/** An AWS account ID: exactly 12 digits (tokens are left to deploy time). */
export function validateAccountId(prop: string, account: string | undefined): void {
  if (account === undefined || Token.isUnresolved(account)) return;
  if (!/^\d{12}$/.test(account)) fail(`${prop} must be an AWS account ID of 12 digits, got '${account}'`);
}

/**
 * The account of a stack or resource environment, which cross-account wiring needs literally:
 * policies of the other accounts name it.
 */
export function literalAccount(prop: string, account: string): string {
  if (Token.isUnresolved(account)) {
    fail(`${prop} must be in a stack with an explicit env.account (12 digits): the other accounts' policies name it, got an environment-agnostic stack`);
  }
  validateAccountId(prop, account);
  return account;
}
