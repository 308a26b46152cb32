import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { DEFAULT_INSTANCE_TYPE, VariantSettings, renderVariant, validateVariant } from './variants';
import { fail, validateInteger } from '../../private/validate';

/*
 * Shadow variants (CreateEndpointConfig `ShadowProductionVariants`) and the settings of a
 * real-time endpoint's variants that the public `DeployableVariant` does not carry (routing
 * strategy, the shadow variant), kept per endpoint for the configurations workflows define at
 * run time (lib/hosting/private/deployment.ts) and for the promotion of the shadow variant.
 *
 * SageMaker's limits (Developer Guide, "Create a shadow test"; CloudFormation
 * AWS::SageMaker::EndpointConfig ShadowProductionVariants): at most one shadow variant per
 * endpoint, and an endpoint with a shadow variant has one production variant. The share of
 * requests copied (the traffic sampling percentage, an integer up to 100: API
 * ShadowModelVariantConfig.SamplingPercentage) is the shadow variant's weight relative to the
 * production variant's.
 */

/** The shadow variant of an endpoint, as its configurations render it. */
export interface ShadowSettings extends VariantSettings {
  readonly variantName: string;
  /** The model's role, which writes the shadow variant's data capture. */
  readonly model: { readonly modelName: string } & iam.IGrantable;
  /** 1 to 100. */
  readonly samplingPercentage: number;
}

/** What a run-time configuration of a real-time endpoint carries besides its `DeployableVariant`s. */
export interface EndpointExtras {
  /** The routing strategy of each production variant that has one, by variant name. */
  readonly routing: { readonly [variantName: string]: string };
  readonly shadow?: ShadowSettings;
}

const EXTRAS = new WeakMap<object, EndpointExtras>();

/** Records what run-time configurations of `endpoint` must carry. */
export function registerEndpointExtras(endpoint: object, extras: EndpointExtras): void {
  EXTRAS.set(endpoint, extras);
}

/** What run-time configurations of `endpoint` must carry besides its variants (nothing for an import). */
export function endpointExtras(endpoint: object): EndpointExtras {
  return EXTRAS.get(endpoint) ?? { routing: {} };
}

/** The default name of a shadow variant. */
export const DEFAULT_SHADOW_NAME = 'Shadow';

/** Refuses a shadow variant SageMaker would refuse (call within `validateIn`). */
export function validateShadow(shadow: ShadowSettings, productionNames: string[]): void {
  validateVariant('shadowVariant', shadow);
  if (productionNames.length !== 1) {
    fail(`shadowVariant needs exactly one production variant (SageMaker: an endpoint with a shadow variant has one production variant), got ${productionNames.length} variants (${productionNames.join(', ')})`);
  }
  if (productionNames.includes(shadow.variantName)) {
    fail(`shadowVariant.variantName must differ from the production variant's name, got '${shadow.variantName}' for both`);
  }
  if (Token.isUnresolved(shadow.samplingPercentage)) {
    fail('shadowVariant.samplingPercentage must be a literal (the shadow variant\'s weight is computed from it at synth), got a token');
  }
  if (shadow.samplingPercentage === 0) {
    fail('shadowVariant.samplingPercentage must be a whole number from 1 to 100, got 0 (a shadow variant that receives no requests tests nothing: remove shadowVariant instead)');
  }
  validateInteger('shadowVariant.samplingPercentage', shadow.samplingPercentage, 1, 100);
}

/**
 * The shadow variant as CloudFormation renders it: its weight is the production variant's
 * weight times the sampling share, so that SageMaker copies `samplingPercentage`% of the
 * production variant's requests.
 */
export function renderShadow(shadow: ShadowSettings, productionWeight: number | undefined): sagemaker.CfnEndpointConfig.ProductionVariantProperty {
  const weight = productionWeight ?? 1;
  if (Token.isUnresolved(weight)) {
    fail('variants[0].initialVariantWeight must be a literal with a shadowVariant (the shadow variant\'s weight is computed from it at synth), got a token');
  }
  return {
    ...renderVariant(shadow, shadow.variantName),
    // Rounded so that binary fractions do not show (0.1 x 0.3 = 0.030000000000000002).
    initialVariantWeight: Math.round(weight * shadow.samplingPercentage * 1e6 / 100) / 1e6,
  };
}

/** The shadow's instance type name. */
export function shadowInstanceType(shadow: ShadowSettings): string {
  return (shadow.instanceType ?? DEFAULT_INSTANCE_TYPE).name;
}
