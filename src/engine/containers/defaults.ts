/**
 * Default create options, for callers that build them field by field (tests,
 * the builder, compose-like tools).
 */
import type { ContainerConfig, HostConfig } from './types';

/** A ContainerConfig with Docker's defaults (as the CLI sends them), `over` applied. */
export function defaultContainerConfig(over: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    hostname: '',
    domainname: '',
    user: '',
    attachStdin: false,
    attachStdout: true,
    attachStderr: true,
    tty: false,
    openStdin: false,
    stdinOnce: false,
    env: [],
    cmd: null,
    entrypoint: null,
    image: 'busybox',
    workingDir: '',
    labels: {},
    stopSignal: undefined,
    stopTimeout: undefined,
    exposedPorts: [],
    volumes: [],
    ...over,
  };
}

/** A HostConfig with Docker's defaults (NetworkMode 'default'), `over` and `resources` applied. */
export function defaultHostConfig(
  over: Partial<HostConfig> = {},
  resources: Partial<HostConfig['resources']> = {},
): HostConfig {
  return {
    networkMode: 'default',
    pidMode: '',
    ipcMode: '',
    utsMode: '',
    cgroupnsMode: '',
    privileged: false,
    readonlyRootfs: false,
    capAdd: [],
    capDrop: [],
    securityOpt: [],
    tmpfs: {},
    binds: [],
    autoRemove: false,
    restartPolicy: { name: 'no', maximumRetryCount: 0 },
    logConfig: { type: 'json-file', config: {} },
    extraHosts: [],
    dns: [],
    dnsSearch: [],
    dnsOptions: [],
    groupAdd: [],
    shmSize: 0,
    oomScoreAdj: 0,
    init: undefined,
    portBindings: {},
    publishAllPorts: false,
    consoleSize: undefined,
    ...over,
    resources: {
      memory: 0,
      memorySwap: 0,
      memoryReservation: 0,
      nanoCpus: 0,
      cpuShares: 0,
      cpuQuota: 0,
      cpuPeriod: 0,
      cpusetCpus: '',
      cpusetMems: '',
      pidsLimit: 0,
      blkioWeight: 0,
      devices: [],
      ulimits: [],
      oomKillDisable: false,
      cgroupParent: '',
      ...resources,
    },
  };
}
