import * as child from 'child_process';

// No Python with the example image's packages: as on a machine without Debian's python3-statsmodels.
jest.mock('child_process', () => ({ ...jest.requireActual('child_process'), spawnSync: jest.fn(() => ({ status: 1, stdout: '', stderr: '' })) }));
// eslint-disable-next-line import/order
import { findGlmPython } from '../local/workflows';

test('without Python\'s numpy, pandas and statsmodels the local runs skip and the file says why (probing, not importing them)', () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    expect(findGlmPython()).toBeUndefined();
    expect(warn.mock.calls).toEqual([[
      "skipping the local runs of test/tooling/prerequisites.test.ts: they run the example image's entry points and need Python with numpy, pandas and statsmodels (Debian: python3-numpy python3-pandas python3-statsmodels)",
    ]]);
    const probes = (child.spawnSync as unknown as jest.Mock).mock.calls;
    expect(probes.map(c => c[0])).toEqual(['/usr/bin/python3', 'python3']);
    expect(probes[0][1][1]).toContain('find_spec');
  } finally {
    warn.mockRestore();
  }
});
