import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A temporary tree:
 * ```
 * root/
 *   home/            the user's home
 *     pub/
 *       file.txt
 *       sub/
 *         deep/
 *           leaf.txt
 *     pubx/          shares a prefix with pub
 *   home2/           shares a prefix with home
 *   outside/
 *   file.txt         a plain file
 *   link-home ->     home (symlink)
 * ```
 * Every path is real (the temp dir itself may sit behind a symlink, as on macOS).
 */
export interface Tree {
  readonly root: string;
  readonly home: string;
  readonly pub: string;
  readonly sub: string;
  readonly deep: string;
  readonly pubx: string;
  readonly home2: string;
  readonly outside: string;
  readonly file: string;
  readonly linkHome: string;
  cleanup(): void;
}

export function makeTree(): Tree {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ftpkit-dummy-')));
  const home = path.join(root, 'home');
  const pub = path.join(home, 'pub');
  const sub = path.join(pub, 'sub');
  const deep = path.join(sub, 'deep');
  const pubx = path.join(home, 'pubx');
  const home2 = path.join(root, 'home2');
  const outside = path.join(root, 'outside');
  const file = path.join(root, 'file.txt');
  const linkHome = path.join(root, 'link-home');
  for (const dir of [deep, pubx, home2, outside]) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(pub, 'file.txt'), 'x');
  fs.writeFileSync(path.join(deep, 'leaf.txt'), 'x');
  fs.writeFileSync(file, 'x');
  fs.symlinkSync(home, linkHome, 'dir');
  return {
    root,
    home,
    pub,
    sub,
    deep,
    pubx,
    home2,
    outside,
    file,
    linkHome,
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
