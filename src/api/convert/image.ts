/** Engine image types (camelCase) → Docker's wire shapes (PascalCase). */
import { familiarize } from '../../common/reference';
import type {
  ContainerConfigFields,
  HistoryItem,
  Image,
  ProgressMessage,
  RemovedImageItem,
} from '../../engine/images/types';
import type {
  ContainerConfig,
  DeleteResponseItem,
  HistoryResponseItem,
  ImageInspect,
  ImageSummary,
  JSONMessage,
} from '../../wire';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** 'docker.io/library/busybox:latest' → 'busybox:latest'; leaves anything unparsable as it is. */
export function familiar(ref: string): string {
  try {
    return familiarize(ref);
  } catch {
    return ref;
  }
}

export function unixSeconds(rfc3339: string | undefined): number {
  if (!rfc3339) return 0;
  const ms = Date.parse(rfc3339);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

export interface SummaryOptions {
  /** Add VirtualSize (API < 1.44). */
  virtualSize: boolean;
}

export function toImageSummary(image: Image, options: SummaryOptions): ImageSummary {
  const summary: ImageSummary = {
    Id: image.id,
    ParentId: image.parent ?? '',
    RepoTags: image.repoTags.map(familiar),
    RepoDigests: image.repoDigests.map(familiar),
    Created: unixSeconds(image.config.created),
    Size: image.size,
    SharedSize: -1,
    Labels: { ...(image.config.config?.Labels ?? {}) },
    Containers: -1,
  };
  if (options.virtualSize) summary.VirtualSize = image.size;
  return summary;
}

/** A container config in the shape moby prints for images: every classic field present. */
export function toContainerConfig(fields: ContainerConfigFields | undefined): ContainerConfig {
  const f = fields ?? {};
  const out: ContainerConfig = {
    ...f,
    Hostname: f.Hostname ?? '',
    Domainname: f.Domainname ?? '',
    User: f.User ?? '',
    AttachStdin: typeof f.AttachStdin === 'boolean' ? f.AttachStdin : false,
    AttachStdout: typeof f.AttachStdout === 'boolean' ? f.AttachStdout : false,
    AttachStderr: typeof f.AttachStderr === 'boolean' ? f.AttachStderr : false,
    Tty: typeof f.Tty === 'boolean' ? f.Tty : false,
    OpenStdin: typeof f.OpenStdin === 'boolean' ? f.OpenStdin : false,
    StdinOnce: typeof f.StdinOnce === 'boolean' ? f.StdinOnce : false,
    Env: f.Env ?? null,
    Cmd: f.Cmd ?? null,
    Image: typeof f.Image === 'string' ? f.Image : '',
    Volumes: f.Volumes ?? null,
    WorkingDir: f.WorkingDir ?? '',
    Entrypoint: f.Entrypoint ?? null,
    OnBuild: f.OnBuild ?? null,
    Labels: f.Labels ?? null,
  };
  return out;
}

export interface InspectOptions {
  virtualSize: boolean;
  driver: string;
  graphDriverData: Record<string, string> | null;
}

export function toImageInspect(image: Image, options: InspectOptions): ImageInspect {
  const c = image.config;
  const out: ImageInspect = {
    Id: image.id,
    RepoTags: image.repoTags.map(familiar),
    RepoDigests: image.repoDigests.map(familiar),
    Parent: image.parent ?? '',
    Comment: c.comment ?? '',
    Created: c.created ?? ZERO_TIME,
    Container: c.container ?? '',
    ContainerConfig: toContainerConfig(c.container_config),
    DockerVersion: c.docker_version ?? '',
    Author: c.author ?? '',
    Config: toContainerConfig(c.config),
    Architecture: c.architecture ?? '',
    Os: c.os ?? '',
    Size: image.size,
    GraphDriver: { Name: options.driver, Data: options.graphDriverData },
    RootFS: { Type: 'layers', Layers: [...c.rootfs.diff_ids] },
    Metadata: { LastTagTime: image.lastTagTime ?? ZERO_TIME },
  };
  if (c.variant) out.Variant = c.variant;
  if (options.virtualSize) out.VirtualSize = image.size;
  return out;
}

export function toHistoryItem(item: HistoryItem): HistoryResponseItem {
  return {
    Id: item.id,
    Created: item.created,
    CreatedBy: item.createdBy,
    Tags: item.tags.length > 0 ? item.tags.map(familiar) : null,
    Size: item.size,
    Comment: item.comment,
  };
}

export function toDeleteItem(item: RemovedImageItem): DeleteResponseItem {
  if (item.untagged !== undefined) return { Untagged: familiar(item.untagged) };
  return { Deleted: item.deleted ?? '' };
}

export function toJsonMessage(message: ProgressMessage): JSONMessage {
  const out: JSONMessage = {};
  if (message.status !== undefined) out.status = message.status;
  if (message.id !== undefined) out.id = message.id;
  if (message.stream !== undefined) out.stream = message.stream;
  if (message.progressDetail !== undefined) {
    const d: JSONMessage['progressDetail'] = {};
    if (message.progressDetail.current !== undefined) d.current = message.progressDetail.current;
    if (message.progressDetail.total !== undefined) d.total = message.progressDetail.total;
    out.progressDetail = d;
  }
  if (message.aux !== undefined) out.aux = message.aux;
  return out;
}
