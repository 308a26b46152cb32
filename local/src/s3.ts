import * as fs from 'fs';
import * as path from 'path';

/** An S3 location. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/** Parses `s3://bucket/key`. */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`'${uri}' is not an S3 URI (s3://bucket/key)`);
  return { bucket: match[1], key: match[2] };
}

/**
 * S3 on the local disk: a folder per bucket, an object per file (its key is its path in the
 * folder). Buckets the user names map to their folders; every other bucket is a folder in the
 * run's temporary directory. Nothing is written outside those folders.
 */
export class LocalS3 {
  private readonly root: string;
  private readonly folders = new Map<string, string>();

  /**
   * @param root the folder that holds the buckets the user did not name
   * @param bucketFolders bucket name -> an existing folder
   */
  constructor(root: string, bucketFolders: Record<string, string> = {}) {
    this.root = root;
    for (const [bucket, folder] of Object.entries(bucketFolders)) {
      if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
        throw new Error(`the folder '${folder}' given for bucket '${bucket}' does not exist`);
      }
      this.folders.set(bucket, path.resolve(folder));
    }
  }

  /** The folder that holds a bucket's objects. */
  public folderOf(bucket: string): string {
    return this.folders.get(bucket) ?? path.join(this.root, bucket);
  }

  /** The buckets with objects or a folder. */
  public buckets(): string[] {
    const local = fs.existsSync(this.root) ? fs.readdirSync(this.root) : [];
    return [...new Set([...this.folders.keys(), ...local])].sort();
  }

  private fileOf(bucket: string, key: string): string {
    const folder = this.folderOf(bucket);
    const file = path.resolve(folder, key);
    if (!key || key.endsWith('/') || !file.startsWith(folder + path.sep)) {
      throw new Error(`'${key}' is not an object key the local S3 stores (bucket ${bucket})`);
    }
    return file;
  }

  /** Stores an object. */
  public put(bucket: string, key: string, body: string | Buffer): void {
    const file = this.fileOf(bucket, key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, body);
  }

  /** Stores a file as an object. */
  public putFile(bucket: string, key: string, source: string): void {
    const file = this.fileOf(bucket, key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(source, file);
  }

  /** An object's content, or undefined. */
  public get(bucket: string, key: string): Buffer | undefined {
    const file = this.fileOf(bucket, key);
    return fs.existsSync(file) && fs.statSync(file).isFile() ? fs.readFileSync(file) : undefined;
  }

  /** Whether an object exists. */
  public exists(bucket: string, key: string): boolean {
    return this.get(bucket, key) !== undefined;
  }

  /** Deletes an object (no error if there is none). */
  public delete(bucket: string, key: string): void {
    const file = this.fileOf(bucket, key);
    if (fs.existsSync(file)) fs.rmSync(file);
  }

  /** The keys under a prefix, sorted. */
  public list(bucket: string, prefix = ''): string[] {
    const folder = this.folderOf(bucket);
    if (!fs.existsSync(folder)) return [];
    const keys: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile()) keys.push(path.relative(folder, full).split(path.sep).join('/'));
      }
    };
    walk(folder);
    return keys.filter(k => k.startsWith(prefix)).sort();
  }

  /**
   * Copies the objects of an S3Prefix (or one object, for S3Object) into a folder the way
   * SageMaker downloads them: each object at its key relative to the prefix's last `/`.
   * Returns the number of objects copied.
   */
  public download(uri: string, dataType: string, target: string): number {
    const { bucket, key } = parseS3Uri(uri);
    fs.mkdirSync(target, { recursive: true });
    const keys = dataType === 'S3Object' ? (this.exists(bucket, key) ? [key] : []) : this.list(bucket, key);
    const base = key.slice(0, key.lastIndexOf('/') + 1);
    for (const k of keys) {
      const file = path.join(target, k.slice(base.length));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.copyFileSync(this.fileOf(bucket, k), file);
    }
    return keys.length;
  }

  /** Uploads every file under a folder to an S3 prefix; returns the keys written. */
  public upload(folder: string, uri: string, skip: (relative: string) => boolean = () => false): string[] {
    const { bucket, key } = parseS3Uri(uri);
    const prefix = key && !key.endsWith('/') ? `${key}/` : key;
    const written: string[] = [];
    if (!fs.existsSync(folder)) return written;
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {walk(full);} else if (entry.isFile()) {
          const relative = path.relative(folder, full).split(path.sep).join('/');
          if (skip(relative)) continue;
          this.putFile(bucket, prefix + relative, full);
          written.push(prefix + relative);
        }
      }
    };
    walk(folder);
    return written;
  }
}
