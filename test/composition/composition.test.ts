import { addCompositionStacks } from './composition-app';
import { nagFindings, testApp } from '../util';

const app = testApp();
const stacks = addCompositionStacks(app);

test.each(Object.entries(stacks))('%s', (_n, stack) => {
  expect(nagFindings(stack)).toEqual([]);
});
