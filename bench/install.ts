// `npm install` of the packed construct package into an app that already has aws-cdk-lib and
// constructs, paired round by round with the same install of @aws-cdk/aws-sagemaker-alpha (the
// newest this registry has) into a twin app; warm npm cache (--prefer-offline), as a developer has.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './measure';

const CDK_VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8')).version as string;
export const ALPHA = '@aws-cdk/aws-sagemaker-alpha@2.159.1-alpha.0';
export function installPaired(rounds: number): { lib: number[]; alpha: number[]; tarballKb: number; unpackedKb: number } {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-install-'));
  try {
    const pack = JSON.parse(spawnSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' }).stdout)[0];
    const tarball = path.join(work, pack.filename);
    const npm = (dir: string, args: string[]) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed in ${dir}: ${r.stderr}`);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const apps = ['lib', 'alpha'].map(name => {
      const dir = path.join(work, name);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `bench-${name}`, version: '1.0.0', private: true }));
      npm(dir, ['install', `aws-cdk-lib@${CDK_VERSION}`, 'constructs@10']);
      return dir;
    });
    const base = apps.map(dir => fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const lib: number[] = [];
    const alpha: number[] = [];
    for (let r = 0; r < Math.max(3, rounds); r++) {
      lib.push(npm(apps[0], ['install', tarball]));
      alpha.push(npm(apps[1], ['install', ALPHA]));
      // Back to the app without either: package.json as it was, then prune what it no longer lists.
      apps.forEach((dir, i) => {
        fs.writeFileSync(path.join(dir, 'package.json'), base[i]);
        npm(dir, ['prune']);
      });
    }
    return { lib, alpha, tarballKb: pack.size / 1024, unpackedKb: pack.unpackedSize / 1024 };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
