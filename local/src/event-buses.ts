/**
 * EventBridge buses across accounts, for an assembly whose stacks have explicit, different
 * accounts: an event is put on one bus (SageMaker's and Step Functions' on their account's
 * default bus); only the rules of that bus see it; a rule whose target is another bus (another
 * account's) puts the same event there (EventBridge keeps its `account`, the source's).
 */
import { LOCAL_ACCOUNT, AssemblyStack, TemplateResolver } from './assembly';

/** The ARN of an account's default bus. */
export function defaultBusArn(account: string | undefined, region: string): string {
  return `arn:aws:events:${region}:${account ?? LOCAL_ACCOUNT}:event-bus/default`;
}

/** Whether a target ARN names an event bus. */
export function isBusArn(arn: string): boolean {
  return /^arn:aws[a-z-]*:events:[^:]*:\d{12}:event-bus\/.+$/.test(arn);
}

/** The bus a rule of `stack` is on: its EventBusName (a name or an ARN), else its account's default bus. */
export function ruleBusArn(stack: AssemblyStack, rule: any): string {
  const name = rule.EventBusName;
  if (name === undefined || name === 'default') return defaultBusArn(stack.account, stack.region);
  if (typeof name === 'string' && name.startsWith('arn:')) return name;
  return `arn:aws:events:${stack.region}:${stack.account ?? LOCAL_ACCOUNT}:event-bus/${name}`;
}

/** The account of the stack that defines a model package group (the account of its events), if explicit. */
export function groupAccount(
  stacks: Iterable<AssemblyStack>, resolverOf: (stack: AssemblyStack) => TemplateResolver, groupName: string): string | undefined {
  for (const stack of stacks) {
    const resolver = resolverOf(stack);
    for (const [id, r] of Object.entries<any>(resolver.resources)) {
      if (r.Type !== 'AWS::SageMaker::ModelPackageGroup') continue;
      const name = resolver.resolve(r.Properties ?? {}).ModelPackageGroupName ?? resolver.physicalName(id);
      if (String(name).toLowerCase() === String(groupName).toLowerCase()) return stack.account;
    }
  }
  return undefined;
}

/** How many buses an event may cross (EventBridge stops cross-account loops too). */
export const MAX_BUS_HOPS = 3;
