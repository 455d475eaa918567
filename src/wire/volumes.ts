/** Docker's volume shapes (`/volumes/*`, `/system/df`), vclient `api/types/volume`. */

export interface VolumeUsageWire {
  Size: number;
  RefCount: number;
}

export interface VolumeWire {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: string;
  /** Only in `GET /system/df`. */
  UsageData?: VolumeUsageWire | null;
}

/** `POST /volumes/create` body. */
export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface VolumeListResponse {
  Volumes: VolumeWire[];
  Warnings: string[];
}

export interface VolumesPruneReport {
  VolumesDeleted: string[];
  SpaceReclaimed: number;
}
