/** The Engine API server's public surface. */
import type { Logger } from '../common/log';
import { Router } from './router';
import type { ContainerRouteDeps } from './routes/containers';
import { registerContainerRoutes } from './routes/containers';
import type { ImageRouteDeps } from './routes/images';
import { registerImageRoutes } from './routes/images';
import type { SystemRouteDeps } from './routes/system';
import { registerSystemRoutes } from './routes/system';
import { ApiServer } from './server';

export type { RequestContext } from './context';
export { parseBool } from './context';
export { sendJson, statusForError, statusForKind, writeError } from './errors';
export { type Handler, type RouteMatch, Router } from './router';
export type { ContainerRouteDeps } from './routes/containers';
export type { ImageRouteDeps } from './routes/images';
export type { HostFacts, SystemRouteDeps } from './routes/system';
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
  shutdownGraceMs?: number;
}

/** Builds the router with every route group and the server around it. */
export function createApiServer(deps: ApiDeps): ApiServer {
  const router = new Router();
  registerSystemRoutes(router, { ...deps.system, serverVersion: deps.serverVersion });
  registerImageRoutes(router, deps.images);
  if (deps.containers) registerContainerRoutes(router, deps.containers);
  return new ApiServer({
    router,
    logger: deps.logger,
    serverVersion: deps.serverVersion,
    ...(deps.shutdownGraceMs !== undefined ? { shutdownGraceMs: deps.shutdownGraceMs } : {}),
  });
}
