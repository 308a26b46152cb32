import * as fs from 'fs';
import * as path from 'path';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENV, testApp } from '../util';

// The checks that fail `cdk synth` of the reference app on a bad template, whatever is done to
// make synthesis faster: CloudFormation's resource schemas (cdk.json turns their findings into
// errors) and the policy packs bin/app.ts registers.
const CONTEXT = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;

function withSchemaFinding(app: App): App {
  const stack = new Stack(app, 'Bad', { env: ENV });
  new CfnResource(stack, 'Config', { type: 'AWS::SageMaker::EndpointConfig', properties: { ProductionVariants: [{ VariantName: 'a', Colour: 'x' }] } });
  return app;
}

test("a resource-schema finding fails synthesis with cdk.json's context", () => {
  expect(() => withSchemaFinding(new App({ context: CONTEXT })).synth()).toThrow(/Colour' was unexpected/);
});

test('testApp runs the schema validation when asked, and not by default', () => {
  expect(() => withSchemaFinding(testApp({ validateTemplates: true })).synth()).toThrow(/Colour' was unexpected/);
  expect(() => withSchemaFinding(testApp()).synth()).not.toThrow();
});

test('an unacknowledged policy-pack finding fails synthesis as bin/app.ts runs it', () => {
  const app = new App({ context: CONTEXT });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  new s3.Bucket(new Stack(app, 'Unlogged', { env: ENV }), 'Bucket');
  expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
});
