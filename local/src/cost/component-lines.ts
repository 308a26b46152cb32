/**
 * The instance bounds of an endpoint variant that hosts inference components: its managed
 * instance scaling (`ManagedInstanceScaling`, Status ENABLED) starts and stops instances as the
 * components' copies need them, between MinInstanceCount and MaxInstanceCount. With a minimum of
 * 0 the endpoint scales to zero instances once no component has a copy, and costs nothing idle;
 * a component of the template that keeps a copy (its scalable target's minimum, or its fixed
 * `CopyCount`) keeps an instance.
 *
 * @param variant the production variant (template shape)
 * @param resources the template's resources
 * @param endpointName the name of the endpoint the configuration serves, when the template names it
 * @param scaling the scalable targets' bounds by resource ID (`inference-component/<name>`)
 * @returns the bounds and the line's kind, or undefined for a variant without managed instance scaling
 */
export function managedScalingBounds(
  variant: any, resources: Record<string, any> = {}, endpointName?: string, scaling: Map<string, { min: number; max: number }> = new Map(),
): { min: number; max: number; kind: string } | undefined {
  const managed = variant?.ManagedInstanceScaling;
  if (!managed || managed.Status !== 'ENABLED') return undefined;
  const initial = typeof variant.InitialInstanceCount === 'number' ? variant.InitialInstanceCount : 1;
  const floor = typeof managed.MinInstanceCount === 'number' ? managed.MinInstanceCount : initial;
  const max = typeof managed.MaxInstanceCount === 'number' ? managed.MaxInstanceCount : Math.max(initial, floor);
  const keepsCopy = Object.values(resources).some(r => {
    if (r?.Type !== 'AWS::SageMaker::InferenceComponent' || endpointName === undefined || r.Properties?.EndpointName !== endpointName) return false;
    const name = r.Properties.InferenceComponentName;
    const copies = scaling.get(`inference-component/${name}`)?.min ?? r.Properties.RuntimeConfig?.CopyCount ?? 1;
    return typeof copies !== 'number' || copies > 0;
  });
  const min = keepsCopy ? Math.max(floor, 1) : floor;
  const kind = `inference components variant ${variant.VariantName} (managed instance scaling${min === 0 ? ', scales to zero' : ''})`;
  return { min, max, kind };
}
