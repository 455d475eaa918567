/** The Engine API server's public surface. */
import type { Logger } from '../common/log';
import { Router } from './router';
import { type ArchiveRouteDeps, registerArchiveRoutes } from './routes/archive';
import { registerContainerOpsRoutes } from './routes/container-ops';
import type { ContainerRouteDeps } from './routes/containers';
import { registerContainerRoutes } from './routes/containers';
import { type EventRouteDeps, registerEventRoutes } from './routes/events';
import { type ExecRouteDeps, registerExecRoutes } from './routes/exec';
import type { ImageRouteDeps } from './routes/images';
import { registerImageRoutes } from './routes/images';
import { type NetworkRouteDeps, registerNetworkRoutes } from './routes/networks';
import type { SystemRouteDeps } from './routes/system';
import { registerSystemRoutes } from './routes/system';
import { registerSystemDfRoute, type SystemDfDeps } from './routes/system-df';
import { registerVolumeRoutes, type VolumeRouteDeps } from './routes/volumes';
import { ApiServer } from './server';

export type { RequestContext } from './context';
export { parseBool } from './context';
export { sendJson, statusForError, statusForKind, writeError } from './errors';
export { type Handler, type RouteMatch, Router } from './router';
export type { ArchiveRouteDeps } from './routes/archive';
export type { ContainerRouteDeps } from './routes/containers';
export type { ExecRouteDeps } from './routes/exec';
export type { ImageRouteDeps } from './routes/images';
export type { NetworkEndpoints, NetworkRouteDeps } from './routes/networks';
export type { HostFacts, SystemRouteDeps } from './routes/system';
export type { SystemDfDeps } from './routes/system-df';
export type { VolumeRouteDeps } from './routes/volumes';
export {
  ApiServer,
  type ApiServerOptions,
  formatListenAddress,
  type ListenAddress,
  parseListenAddress,
  socketAnswers,
  type UpgradeHandler,
} from './server';
export { HijackContext, type HijackHandler, readUpgradeBody } from './streams/hijack';
export { JsonLinesWriter } from './streams/json-lines';
export { encodeFrame, MULTIPLEXED_STREAM, RAW_STREAM, StdWriter } from './streams/stdcopy';

export interface ApiDeps {
  logger: Logger;
  serverVersion: string;
  system: Omit<SystemRouteDeps, 'serverVersion'>;
  images: ImageRouteDeps;
  /** The container routes; absent in daemons built without a container service (some tests). */
  containers?: ContainerRouteDeps;
  /** `GET /events` (the daemon's event bus); absent: no events route. */
  events?: EventRouteDeps['events'];
  /** The exec routes; absent without a container service. */
  execs?: ExecRouteDeps;
  networks?: NetworkRouteDeps;
  volumes?: VolumeRouteDeps;
  /** `GET /system/df` (absent: not served). */
  df?: SystemDfDeps;
  /** cp (archive), diff, export, commit; absent without a container service. */
  files?: ArchiveRouteDeps;
  shutdownGraceMs?: number;
}

/** Builds the router with every route group and the server around it. */
export function createApiServer(deps: ApiDeps): ApiServer {
  const router = new Router();
  registerSystemRoutes(router, { ...deps.system, serverVersion: deps.serverVersion });
  registerImageRoutes(router, deps.images);
  if (deps.containers) registerContainerRoutes(router, deps.containers);
  if (deps.containers) registerContainerOpsRoutes(router, { containers: deps.containers.containers });
  if (deps.events) registerEventRoutes(router, { events: deps.events });
  if (deps.execs) registerExecRoutes(router, deps.execs);
  if (deps.networks) registerNetworkRoutes(router, deps.networks);
  if (deps.volumes) registerVolumeRoutes(router, deps.volumes);
  if (deps.df) registerSystemDfRoute(router, deps.df);
  if (deps.files) registerArchiveRoutes(router, deps.files);
  return new ApiServer({
    router,
    logger: deps.logger,
    serverVersion: deps.serverVersion,
    ...(deps.shutdownGraceMs !== undefined ? { shutdownGraceMs: deps.shutdownGraceMs } : {}),
  });
}
