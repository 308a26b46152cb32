// bin/app.ts imports this module first, before aws-cdk-lib's modules, cdk-nag and the library
// load (about a second of a synth): the CloudFormation validation engine starts loading on its
// worker thread that much earlier. Only the plugin's own module is loaded here.
import { BackgroundCloudFormationValidatePlugin } from './validation/background-cloudformation-validate-plugin';

/** The reference app's schema validation (aws-cdk-lib's plugin on a worker thread), started when this module loads. */
export const schemaValidation = new BackgroundCloudFormationValidatePlugin();
