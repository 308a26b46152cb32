import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct, IConstruct } from 'constructs';
import { fail, validateIn } from './validate';

/**
 * The subnets SageMaker runs something in (`what`: a job, a model, a monitoring job): the
 * selection given, else the private subnets with egress, else the isolated ones (a VPC that
 * reaches AWS through VPC endpoints only). A selection the VPC cannot satisfy, or a VPC with
 * neither kind, fails naming `vpcSubnets` and `scope`'s path (aws-cdk-lib's own error names
 * neither).
 */
export function selectPrivateSubnets(
  scope: IConstruct, vpc: ec2.IVpc, selection: ec2.SubnetSelection | undefined, what: string,
): ec2.SelectedSubnets {
  return validateIn(scope, () => {
    if (selection) return selectOrFail(vpc, selection);
    for (const subnetType of [ec2.SubnetType.PRIVATE_WITH_EGRESS, ec2.SubnetType.PRIVATE_ISOLATED]) {
      try {
        const selected = vpc.selectSubnets({ subnetType });
        if (selected.subnetIds.length > 0) return selected;
      } catch {
        // No subnet group of that type: try the next.
      }
    }
    return fail(`vpcSubnets must be set: the VPC has neither private subnets with egress nor isolated subnets, and ${what} must not run in public subnets`);
  });
}

/** `vpc.selectSubnets(selection)`, failing under `vpcSubnets` where the VPC cannot satisfy it (call within `validateIn`). */
export function selectOrFail(vpc: ec2.IVpc, selection: ec2.SubnetSelection): ec2.SelectedSubnets {
  try {
    return vpc.selectSubnets(selection);
  } catch (e) {
    return fail(`vpcSubnets selects no subnets of VPC '${vpc.node.path}': ${(e as Error).message}`);
  }
}

/** Where a model runs in a VPC: the props a construct that defines models takes. */
export interface ModelNetworkProps {
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * A CreateModel request's `VpcConfig` for `props` (call within `validateIn`): undefined without a
 * `vpc` (refusing subnets or groups without one), else the given security groups (or one that
 * allows all outbound traffic, defined as `groupId` in `scope`) and the VPC's private subnets.
 */
export function modelVpcConfig(scope: Construct, props: ModelNetworkProps, groupId: string, description: string): { [key: string]: any } | undefined {
  if (props.vpcSubnets && !props.vpc) fail('vpcSubnets requires vpc');
  if (props.securityGroups && !props.vpc) fail('securityGroups requires vpc');
  if (!props.vpc) return undefined;
  const groups = props.securityGroups ?? [new ec2.SecurityGroup(scope, groupId, { vpc: props.vpc, description, allowAllOutbound: true })];
  return {
    SecurityGroupIds: groups.map(g => g.securityGroupId),
    Subnets: selectPrivateSubnets(scope, props.vpc, props.vpcSubnets, 'a model').subnetIds,
  };
}
