import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CAPABILITIES } from './capabilities';
import {
  AUDIT_ARCH,
  BPF,
  type BpfInsn,
  compileSeccomp,
  decodeBpf,
  parseSeccompProfile,
  SECCOMP_RET,
  X32_SYSCALL_BIT,
} from './seccomp';
import { DEFAULT_PROFILE } from './seccomp-profile';
import { syscallTable } from './syscalls';

/** A classic-BPF interpreter over seccomp_data, enough for what the compiler emits. */
function run(program: BpfInsn[], data: { nr: number; arch: number; args?: Array<number | bigint> }): number {
  const mem = Buffer.alloc(64);
  mem.writeUInt32LE(data.nr >>> 0, 0);
  mem.writeUInt32LE(data.arch >>> 0, 4);
  for (const [i, a] of (data.args ?? []).entries()) mem.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), 16 + 8 * i);
  let acc = 0;
  for (let pc = 0, steps = 0; pc < program.length; pc++, steps++) {
    assert.ok(steps < 10000, 'runaway program');
    const ins = program[pc] as BpfInsn;
    switch (ins.code) {
      case BPF.LD_W_ABS:
        assert.ok(ins.k % 4 === 0 && ins.k < 64, `load at ${ins.k}`);
        acc = mem.readUInt32LE(ins.k);
        break;
      case BPF.ALU_AND_K:
        acc = (acc & ins.k) >>> 0;
        break;
      case BPF.JMP_JA:
        pc += ins.k;
        break;
      case BPF.JMP_JEQ_K:
        pc += acc === ins.k ? ins.jt : ins.jf;
        break;
      case BPF.JMP_JGT_K:
        pc += acc > ins.k ? ins.jt : ins.jf;
        break;
      case BPF.JMP_JGE_K:
        pc += acc >= ins.k ? ins.jt : ins.jf;
        break;
      case BPF.RET_K:
        return ins.k;
      default:
        assert.fail(`unknown opcode 0x${ins.code.toString(16)}`);
    }
  }
  assert.fail('fell off the end of the program');
}

const X64 = syscallTable('x86_64');
const X86 = syscallTable('x86');
const nr = (name: string): number => X64.get(name) as number;
const ALLOW = SECCOMP_RET.ALLOW;
const EPERM = SECCOMP_RET.ERRNO | 1;
const ENOSYS = SECCOMP_RET.ERRNO | 38;

function compileDefault(caps: readonly string[] = DEFAULT_CAPABILITIES) {
  const c = compileSeccomp(DEFAULT_PROFILE, { capabilities: caps, arch: 'x64', kernel: '6.1.0' });
  return { ...c, insns: decodeBpf(c.program) };
}

describe('seccomp compiler (default profile, x86_64)', () => {
  const { insns, flags, length } = compileDefault();
  const call = (name: string, args: Array<number | bigint> = []) =>
    run(insns, { nr: nr(name), arch: AUDIT_ARCH.X86_64, args });

  it('fits the kernel limit and uses SPEC_ALLOW', () => {
    assert.ok(length > 100 && length <= 4096, `length ${length}`);
    assert.equal(flags, 4);
  });
  it('allows ordinary calls', () => {
    for (const n of [
      'read',
      'write',
      'exit',
      'exit_group',
      'execve',
      'openat',
      'mmap',
      'futex',
      'capset',
      'setresuid',
      'arch_prctl',
      'ptrace',
    ]) {
      assert.equal(call(n), ALLOW, n);
    }
  });
  it('denies the dangerous ones with EPERM', () => {
    for (const n of [
      'mount',
      'umount2',
      'keyctl',
      'add_key',
      'request_key',
      'kexec_load',
      'unshare',
      'setns',
      'reboot',
      'init_module',
      'bpf',
      'swapon',
      'open_by_handle_at',
    ]) {
      assert.equal(call(n), EPERM, n);
    }
  });
  it('filters clone flags without CAP_SYS_ADMIN and clone3 gets ENOSYS', () => {
    const CLONE_NEWUSER = 0x10000000;
    const CLONE_NEWNS = 0x00020000;
    assert.equal(call('clone', [0x01200011]), ALLOW); // fork()-like
    assert.equal(call('clone', [CLONE_NEWUSER]), EPERM);
    assert.equal(call('clone', [CLONE_NEWNS | 0x11]), EPERM);
    assert.equal(call('clone', [0x1_0000_0000n | 0x11n]), ALLOW); // the high word is not masked
    assert.equal(call('clone3'), ENOSYS);
  });
  it('checks personality and socket arguments', () => {
    assert.equal(call('personality', [0]), ALLOW);
    assert.equal(call('personality', [0xffffffff]), ALLOW);
    assert.equal(call('personality', [0x0040000]), EPERM);
    assert.equal(call('socket', [2]), ALLOW); // AF_INET
    assert.equal(call('socket', [40]), EPERM); // AF_VSOCK
    assert.equal(call('socket', [39]), ALLOW);
    assert.equal(call('socket', [41]), ALLOW);
    assert.equal(call('socket', [0x1_0000_0000n]), ALLOW); // GT compares 64 bits
  });
  it('returns ENOSYS above the highest known number', () => {
    assert.equal(run(insns, { nr: 1000, arch: AUDIT_ARCH.X86_64 }), ENOSYS);
  });
  it('covers i386 with its own numbering, and x32', () => {
    assert.equal(run(insns, { nr: X86.get('read') as number, arch: AUDIT_ARCH.I386 }), ALLOW);
    assert.equal(run(insns, { nr: X86.get('mount') as number, arch: AUDIT_ARCH.I386 }), EPERM);
    assert.equal(run(insns, { nr: X86.get('socketcall') as number, arch: AUDIT_ARCH.I386 }), ALLOW);
    assert.equal(run(insns, { nr: X32_SYSCALL_BIT | nr('read'), arch: AUDIT_ARCH.X86_64 }), ALLOW);
    assert.equal(run(insns, { nr: X32_SYSCALL_BIT | nr('mount'), arch: AUDIT_ARCH.X86_64 }), EPERM);
  });
  it('kills an architecture outside the filter', () => {
    assert.equal(run(insns, { nr: 0, arch: AUDIT_ARCH.AARCH64 }), SECCOMP_RET.KILL_THREAD);
    assert.equal(run(insns, { nr: 0, arch: 0x12345678 }), SECCOMP_RET.KILL_THREAD);
  });
  it('grants the conditional syscalls with the capability', () => {
    const admin = compileDefault([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']).insns;
    const c = (name: string, args: number[] = []) => run(admin, { nr: nr(name), arch: AUDIT_ARCH.X86_64, args });
    assert.equal(c('mount'), ALLOW);
    assert.equal(c('unshare'), ALLOW);
    assert.equal(c('clone', [0x10000000]), ALLOW);
    assert.equal(c('clone3'), ALLOW);
    assert.equal(c('keyctl'), EPERM);
  });
  it('compiles for arm64 too', () => {
    const c = compileSeccomp(DEFAULT_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 'arm64', kernel: '6.1.0' });
    const p = decodeBpf(c.program);
    const a64 = syscallTable('aarch64');
    assert.equal(run(p, { nr: a64.get('read') as number, arch: AUDIT_ARCH.AARCH64 }), ALLOW);
    assert.equal(run(p, { nr: a64.get('mount') as number, arch: AUDIT_ARCH.AARCH64 }), EPERM);
    assert.equal(run(p, { nr: 0, arch: AUDIT_ARCH.X86_64 }), SECCOMP_RET.KILL_THREAD);
  });
});

describe('seccomp comparisons', () => {
  const profile = (op: string, value: number | string, valueTwo?: number) =>
    parseSeccompProfile(
      `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["kill"],"action":"SCMP_ACT_ERRNO","errnoRet":13,"args":[{"index":1,"value":${value},${valueTwo === undefined ? '' : `"valueTwo":${valueTwo},`}"op":"${op}"}]}]}`,
    );
  const check = (op: string, value: number | string, arg: bigint, expectDeny: boolean, valueTwo?: number) => {
    const c = compileSeccomp(profile(op, value, valueTwo), { capabilities: [], arch: 'x64', kernel: '6.1.0' });
    const got = run(decodeBpf(c.program), { nr: nr('kill'), arch: AUDIT_ARCH.X86_64, args: [0, arg] });
    assert.equal(got, expectDeny ? SECCOMP_RET.ERRNO | 13 : ALLOW, `${op} ${value} vs ${arg}`);
  };
  const big = '18446744073709551615';
  it('EQ/NE on both halves', () => {
    check('SCMP_CMP_EQ', 5, 5n, true);
    check('SCMP_CMP_EQ', 5, 5n | (1n << 32n), false);
    check('SCMP_CMP_NE', 5, 5n, false);
    check('SCMP_CMP_NE', 5, 6n, true);
    check('SCMP_CMP_EQ', big, 2n ** 64n - 1n, true);
  });
  it('GT/GE/LT/LE unsigned 64-bit', () => {
    for (const [op, v, a, deny] of [
      ['SCMP_CMP_GT', 10, 11n, true],
      ['SCMP_CMP_GT', 10, 10n, false],
      ['SCMP_CMP_GT', 10, 1n << 33n, true],
      ['SCMP_CMP_GE', 10, 10n, true],
      ['SCMP_CMP_GE', 10, 9n, false],
      ['SCMP_CMP_LT', 10, 9n, true],
      ['SCMP_CMP_LT', 10, 10n, false],
      ['SCMP_CMP_LT', 10, 1n << 40n, false],
      ['SCMP_CMP_LE', 10, 10n, true],
      ['SCMP_CMP_LE', 10, 11n, false],
    ] as const) {
      check(op, v, a, deny);
    }
  });
  it('MASKED_EQ with valueTwo', () => {
    check('SCMP_CMP_MASKED_EQ', 0xff, 0x1234n, true, 0x34);
    check('SCMP_CMP_MASKED_EQ', 0xff, 0x1235n, false, 0x34);
  });
});

describe('parseSeccompProfile', () => {
  it('accepts the legacy name field and archMap', () => {
    const p = parseSeccompProfile(
      '{"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]}],"syscalls":[{"name":"write","action":"SCMP_ACT_ALLOW"}]}',
    );
    assert.deepEqual(p.syscalls[0]?.names, ['write']);
    const c = compileSeccomp(p, { capabilities: [], arch: 'x64' });
    const insns = decodeBpf(c.program);
    assert.equal(run(insns, { nr: nr('write'), arch: AUDIT_ARCH.X86_64 }), ALLOW);
    assert.equal(run(insns, { nr: nr('read'), arch: AUDIT_ARCH.X86_64 }), EPERM);
    assert.equal(run(insns, { nr: nr('close'), arch: AUDIT_ARCH.X86_64 }), ENOSYS); // above the highest known
    assert.equal(run(insns, { nr: X32_SYSCALL_BIT, arch: AUDIT_ARCH.X86_64 }), SECCOMP_RET.KILL_THREAD);
  });
  it('rejects bad profiles with Docker-like messages', () => {
    const bad = (json: string, re: RegExp) =>
      assert.throws(
        () => parseSeccompProfile(json),
        (e: Error & { kind?: string }) => e.kind === 'invalid-argument' && re.test(e.message),
      );
    bad('{', /^Decoding seccomp profile failed: /);
    bad('{"syscalls":[]}', /defaultAction: unsupported action/);
    bad('{"defaultAction":"SCMP_ACT_NOPE"}', /unsupported action "SCMP_ACT_NOPE"/);
    bad(
      '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}',
      /use either 'architectures' or 'archMap'/,
    );
    bad(
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]}',
      /use either 'name' or 'names'/,
    );
    bad(
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}',
      /index must be 0..5/,
    );
    bad(
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_XX"}]}]}',
      /unsupported operator/,
    );
  });
  it('refuses a profile that does not cover the host', () => {
    const p = parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_AARCH64"]}');
    assert.throws(() => compileSeccomp(p, { capabilities: [], arch: 'x64' }), /does not cover/);
  });
});
