import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { JobS3Location, S3AccessMode } from '../data/job-s3-location';
import { fail, validatePattern } from '../private/validate';

/**
 * Options of an S3 channel.
 */
export interface S3ChannelOptions {
  /**
   * How the objects are distributed to the instances of a distributed job.
   *
   * @default S3DataDistributionType.FULLY_REPLICATED
   */
  readonly distribution?: tasks.S3DataDistributionType;

  /**
   * Whether the URI is a prefix or a manifest.
   *
   * @default S3DataType.S3_PREFIX
   */
  readonly dataType?: tasks.S3DataType;
}

/**
 * Access to a file system channel.
 */
export enum FileSystemAccessMode {
  /** Read only. */
  READ_ONLY = 'ro',
  /** Read and write. */
  READ_WRITE = 'rw',
}

/**
 * The context a channel source is bound in.
 */
export interface ChannelBindOptions {
  /** The job's role. */
  readonly grantee: iam.IGrantable;
  /** The job's network connections. */
  readonly connections: ec2.Connections;
  /** Whether the job runs in a VPC. */
  readonly inVpc: boolean;
  /** The channel name, for error messages. */
  readonly channelName: string;
}

/**
 * A bound channel source.
 */
export interface ChannelDataSourceConfig {
  /** The `DataSource` of the channel in the CreateTrainingJob request. */
  readonly dataSource: any;
  /** Whether the source is S3 (the only kind that supports Pipe and FastFile modes). */
  readonly isS3: boolean;
}

/**
 * Where a training channel's data comes from: S3, Amazon EFS or Amazon FSx for Lustre.
 * File system channels need the job to run in a VPC; binding opens the file system's
 * port to the job's security groups.
 */
export abstract class ChannelDataSource {
  /** Objects under an S3 location. */
  public static s3(location: JobS3Location, options: S3ChannelOptions = {}): ChannelDataSource {
    return new S3Source(location, options);
  }

  /**
   * A directory of an Amazon EFS file system.
   *
   * @param fileSystem the file system
   * @param directoryPath the directory, e.g. `/datasets/train`
   * @param accessMode read only or read-write
   */
  public static efs(
    fileSystem: efs.IFileSystem,
    directoryPath: string,
    accessMode: FileSystemAccessMode = FileSystemAccessMode.READ_ONLY,
  ): ChannelDataSource {
    return new FileSystemSource('EFS', fileSystem.fileSystemId, fileSystem.connections, directoryPath, accessMode, (grantee) => {
      fileSystem.grant(grantee, 'elasticfilesystem:ClientMount',
        ...(accessMode === FileSystemAccessMode.READ_WRITE ? ['elasticfilesystem:ClientWrite'] : []));
    });
  }

  /**
   * A directory of an Amazon FSx for Lustre file system. The path starts with the file
   * system's mount name, e.g. `/abcdefgh/datasets/train`.
   *
   * @param fileSystem the file system
   * @param directoryPath the directory, starting with the mount name
   * @param accessMode read only or read-write
   */
  public static fsxLustre(
    fileSystem: fsx.IFileSystem,
    directoryPath: string,
    accessMode: FileSystemAccessMode = FileSystemAccessMode.READ_ONLY,
  ): ChannelDataSource {
    return new FileSystemSource('FSxLustre', fileSystem.fileSystemId, fileSystem.connections, directoryPath, accessMode, () => undefined);
  }

  /** Renders the source, granting the job what it needs. */
  public abstract bind(scope: Construct, options: ChannelBindOptions): ChannelDataSourceConfig;
}

class S3Source extends ChannelDataSource {
  constructor(private readonly location: JobS3Location, private readonly options: S3ChannelOptions) {
    super();
  }

  public bind(scope: Construct, options: ChannelBindOptions): ChannelDataSourceConfig {
    const uri = this.location.bind(scope, options.grantee, S3AccessMode.READ);
    return {
      isS3: true,
      dataSource: {
        S3DataSource: {
          [uri.isExpression ? 'S3Uri.$' : 'S3Uri']: uri.uri,
          S3DataType: this.options.dataType ?? tasks.S3DataType.S3_PREFIX,
          S3DataDistributionType: this.options.distribution ?? tasks.S3DataDistributionType.FULLY_REPLICATED,
        },
      },
    };
  }
}

class FileSystemSource extends ChannelDataSource {
  constructor(
    private readonly type: string,
    private readonly fileSystemId: string,
    private readonly fsConnections: ec2.Connections,
    private readonly directoryPath: string,
    private readonly accessMode: FileSystemAccessMode,
    private readonly grant: (grantee: iam.IGrantable) => void,
  ) {
    super();
    validatePattern('directoryPath', directoryPath, /^\/[^\0]{0,4095}$/, "an absolute path starting with '/' (at most 4096 characters)");
  }

  public bind(_scope: Construct, options: ChannelBindOptions): ChannelDataSourceConfig {
    if (!options.inVpc) {
      fail(`channel '${options.channelName}' reads from ${this.type === 'EFS' ? 'Amazon EFS' : 'Amazon FSx for Lustre'}, which requires the job to run in a VPC: set vpc`);
    }
    const port = this.type === 'EFS' ? ec2.Port.tcp(2049) : ec2.Port.tcp(988);
    this.fsConnections.allowFrom(options.connections, port, `SageMaker job channel '${options.channelName}'`);
    if (this.type === 'FSxLustre') {
      this.fsConnections.allowFrom(options.connections, ec2.Port.tcpRange(1018, 1023), `SageMaker job channel '${options.channelName}'`);
    }
    this.grant(options.grantee);
    return {
      isS3: false,
      dataSource: {
        FileSystemDataSource: {
          FileSystemId: this.fileSystemId,
          FileSystemType: this.type,
          FileSystemAccessMode: this.accessMode,
          DirectoryPath: this.directoryPath,
        },
      },
    };
  }
}
