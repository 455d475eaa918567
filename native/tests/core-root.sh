#!/usr/bin/env bash
# Root tests of berth-core: run real containers from hand-written plans and assert from the
# inside (berth-probe's JSON) and the outside (result, log, exit file, shim socket).
# Usage: tests/core-root.sh [build-dir]    (needs root; skips otherwise)
set -euo pipefail
BUILD=$(cd "${1:-$(dirname "$0")/../build}" && pwd)
CORE=$BUILD/berth-core
PROBE=$BUILD/berth-probe
if [ "$(id -u)" != 0 ]; then echo "SKIP core-root: needs root"; exit 0; fi
BUSYBOX=$(command -v busybox || true)
T=$(mktemp -d /tmp/berth-test-core-XXXX)
NAME=$(basename "$T")
CGROUPS=()
FAILS=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

cleanup() {
  set +e
  # shims are found by their cwd (the bundle); kill them and their containers
  for p in /proc/[0-9]*; do
    if [ "$(readlink "$p/cwd" 2>/dev/null)" != "${p#/proc/}" ] && readlink "$p/cwd" 2>/dev/null | grep -q "^$T"; then
      kill -9 "${p#/proc/}" 2>/dev/null
    fi
  done
  sleep 0.2
  for cg in "${CGROUPS[@]}"; do
    for pid in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    sleep 0.1
    rmdir "$cg" 2>/dev/null
  done
  grep " $T" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l
  rm -rf "$T"
}
trap cleanup EXIT

# --- fixtures: a tiny rootfs (probe + busybox), cgroups for the test -------------------------
mkdir -p "$T/lower/bin" "$T/lower/etc" "$T/lower/work"
cp "$PROBE" "$T/lower/bin/probe"
[ -n "$BUSYBOX" ] && cp "$BUSYBOX" "$T/lower/bin/busybox" && for a in sh cat echo printf sleep tty stty; do ln -s busybox "$T/lower/bin/$a"; done
echo "not executable" > "$T/lower/bin/noexec"; chmod 0644 "$T/lower/bin/noexec"
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir "/sys/fs/cgroup/$NAME"; CGROUPS+=("/sys/fs/cgroup/$NAME")
  OOM_COUNTER="/sys/fs/cgroup/$NAME/memory.events oom_kill"
else
  for h in pids memory; do mkdir "/sys/fs/cgroup/$h/$NAME"; CGROUPS+=("/sys/fs/cgroup/$h/$NAME"); done
  OOM_COUNTER="/sys/fs/cgroup/memory/$NAME/memory.oom_control oom_kill"
fi

# bundle <name> <extra plan lines...>: a Docker-default plan with the given tail
bundle() {
  local n=$1 b=$T/$1; shift
  mkdir -p "$b/upper" "$b/work" "$b/root"
  echo "$n-host" > "$b/hostname"; printf '127.0.0.1\tlocalhost\n' > "$b/hosts"; echo "nameserver 10.0.0.1" > "$b/resolv.conf"
  {
    echo "berth-plan 1"
    echo "id $n"
    for ns in pid mnt uts ipc net; do echo "ns $ns"; done
    echo "hostname $n"
    echo "root $b/root"
    echo "root-mount overlay overlay lowerdir=$T/lower,upperdir=$b/upper,workdir=$b/work"
    cat <<PLAN
mount proc proc /proc nosuid,noexec,nodev -
mount tmpfs tmpfs /dev nosuid,strictatime mode=755,size=65536k
mount devpts devpts /dev/pts nosuid,noexec newinstance,ptmxmode=0666,mode=0620,gid=5
mount sysfs sysfs /sys nosuid,noexec,nodev,ro -
mount tmpfs tmpfs /sys/fs/cgroup nosuid,noexec,nodev,ro mode=755
mount mqueue mqueue /dev/mqueue nosuid,noexec,nodev -
mount tmpfs shm /dev/shm nosuid,noexec,nodev mode=1777,size=67108864
mount bind $b/resolv.conf /etc/resolv.conf rbind,rprivate -
mount bind $b/hostname /etc/hostname rbind,rprivate -
mount bind $b/hosts /etc/hosts rbind,rprivate -
device /dev/null c 1 3 0666 0 0
device /dev/zero c 1 5 0666 0 0
device /dev/full c 1 7 0666 0 0
device /dev/random c 1 8 0666 0 0
device /dev/urandom c 1 9 0666 0 0
device /dev/tty c 5 0 0666 0 0
symlink /dev/ptmx pts/ptmx
symlink /dev/fd /proc/self/fd
symlink /dev/stdin /proc/self/fd/0
symlink /dev/stdout /proc/self/fd/1
symlink /dev/stderr /proc/self/fd/2
PLAN
    for m in /proc/acpi /proc/asound /proc/interrupts /proc/kcore /proc/keys /proc/latency_stats /proc/sched_debug \
      /proc/scsi /proc/timer_list /proc/timer_stats /sys/devices/virtual/powercap /sys/firmware; do echo "mask $m"; done
    for r in /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger; do echo "readonly $r"; done
    for c in "${CGROUPS[@]}"; do echo "cgroup $c"; done
    echo "oom-counter $OOM_COUNTER"
    for s in bounding effective permitted; do echo "caps $s 0xa80425fb"; done
    echo "env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    echo "env HOSTNAME=$n"
    echo "log $b/$n-json.log 0 1"
    for l in "$@"; do echo "$l"; done
  } > "$b/plan"
}
run() { local rc=0; "$CORE" create "$T/$1" > "$T/$1/result" || rc=$?; echo $rc; }
wait_exit() { for _ in $(seq 100); do [ -f "$T/$1/exit" ] && return 0; sleep 0.1; done; return 1; }
field() { awk -v k="$2" '$1 == k {print $2}' "$T/$1/exit"; }
# logtext <name> <stream>: the concatenated, JSON-decoded log of one stream
logtext() { node -e 'const fs=require("fs");let o="";for(const l of fs.readFileSync(process.argv[1],"utf8").split("\n")){if(!l)continue;const j=JSON.parse(l);if(j.stream===process.argv[2])o+=j.log}process.stdout.write(o)' "$T/$1/$1-json.log" "$2"; }
# attach_text <file>: the decoded data of the `stdout`/`stderr` lines of an attach stream
attach_text() { node -e 'const fs=require("fs");let o=Buffer.alloc(0);for(const l of fs.readFileSync(process.argv[1],"latin1").split("\n")){const f=l.split(" ");if((f[0]==="stdout"||f[0]==="stderr")&&f.length===2){const d=f[1]==="-"?"":f[1];o=Buffer.concat([o,Buffer.from(d.replace(/%([0-9A-Fa-f]{2})/g,(_,h)=>String.fromCharCode(parseInt(h,16))),"latin1")])}}process.stdout.write(o)' "$1"; }
# probe_check <name> <js expression over p (probe JSON)>
probe_check() { logtext "$1" stdout | node -e 'const p=JSON.parse(require("fs").readFileSync(0,"utf8"));const ok=eval(process.argv[1]);if(!ok){console.error(JSON.stringify(p).slice(0,3000));process.exit(1)}' "$2"; }

# --- 1. a Docker-default container, seen from the inside -------------------------------------
bundle full "rlimit NOFILE 1024 2048" "oom-score-adj 100" "no-new-privs" "seccomp 0 060000000000ff7f" \
  "cwd /work/sub/dir" "group 10" "env FOO=bar%20baz" "arg probe" "arg json"
check "full: create exits 0" [ "$(run full)" = 0 ]
check "full: result says started" grep -q '^started [0-9]* [0-9]*$' "$T/full/result"
check "full: exit file written" wait_exit full
check "full: exit code 0" [ "$(field full code)" = 0 ]
check "full: pid 1 and ppid 0" probe_check full 'p.pid===1 && p.ppid===0'
check "full: own hostname" probe_check full 'p.hostname==="full"'
check "full: 14 default caps only" probe_check full 'p.CapEff==="00000000a80425fb" && p.CapBnd==="00000000a80425fb" && p.CapPrm==="00000000a80425fb" && p.CapInh==="0000000000000000" && p.CapAmb==="0000000000000000"'
check "full: no_new_privs" probe_check full 'p.NoNewPrivs==="1"'
check "full: seccomp filter mode" probe_check full 'p.Seccomp==="2"'
check "full: in the test cgroups" probe_check full "p.cgroup.filter(l=>l.endsWith('/$NAME')).length===${#CGROUPS[@]}"
check "full: rlimit NOFILE" probe_check full 'p.rlimits.NOFILE[0]===1024 && p.rlimits.NOFILE[1]===2048'
check "full: env and groups" probe_check full 'p.env.includes("FOO=bar baz") && p.env.includes("HOSTNAME=full") && p.groups.includes(10)'
check "full: cwd created" probe_check full 'p.cwd==="/work/sub/dir"'
check "full: overlay root" probe_check full 'p.mounts[0].target==="/" && p.mounts[0].fstype==="overlay"'
check "full: standard mounts" probe_check full 'const m=t=>p.mounts.find(x=>x.target===t)||{}; m("/proc").fstype==="proc" && m("/dev").fstype==="tmpfs" && m("/dev/pts").fstype==="devpts" && /ptmxmode=0?666/.test(m("/dev/pts").super) && m("/dev/shm").fstype==="tmpfs" && m("/dev/mqueue").fstype==="mqueue" && m("/sys").fstype==="sysfs" && m("/sys").options.startsWith("ro") && m("/sys/fs/cgroup").options.startsWith("ro")'
check "full: /etc files bound" probe_check full '["/etc/hostname","/etc/hosts","/etc/resolv.conf"].every(t=>p.mounts.some(x=>x.target===t))'
check "full: masked paths" probe_check full 'const m=p.mounts.find(x=>x.target==="/proc/keys"); m && m.fstype==="tmpfs" && m.root==="/null" && p.mounts.some(x=>x.target==="/sys/firmware"&&x.fstype==="tmpfs"&&x.options.startsWith("ro"))'
check "full: readonly paths" probe_check full 'p.mounts.some(x=>x.target==="/proc/sys"&&x.options.startsWith("ro"))'
check "full: no host mounts visible" probe_check full '!p.mounts.some(x=>x.target.startsWith("/tmp/")||x.target.startsWith("/host"))'
check "full: lower dir untouched" [ ! -e "$T/lower/etc/hostname" ] && [ ! -e "$T/lower/work/sub" ]
check "full: log line format" node -e 'const fs=require("fs");for(const l of fs.readFileSync(process.argv[1],"utf8").trim().split("\n")){if(!/^\{"log":".*","stream":"(stdout|stderr)","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z"\}$/.test(l)||/\.\d*0Z/.test(l))process.exit(1)}' "$T/full/full-json.log"

# --- 2. failures come back as Docker's exit statuses -----------------------------------------
bundle missing "arg nosuchbinary"
check "missing: exit 127" [ "$(run missing)" = 127 ]
check "missing: Docker's message" grep -q '^error 127 exec 2 exec:%20"nosuchbinary":%20executable%20file%20not%20found%20in%20$PATH$' "$T/missing/result"
bundle abspath "arg /bin/nothere"
check "abspath: exit 127" [ "$(run abspath)" = 127 ]
bundle isdir "arg /bin"
check "isdir: exit 126" [ "$(run isdir)" = 126 ]
bundle noexec "arg /bin/noexec"
check "noexec: exit 126" [ "$(run noexec)" = 126 ]
bundle badmount "mount bind /nonexistent-berth /x rbind -" "arg probe"
check "bad mount: exit 125 at step mount" bash -c "[ \"\$('$CORE' create '$T/badmount' > '$T/badmount/result'; echo \$?)\" = 125 ] && grep -q '^error 125 mount 2 ' '$T/badmount/result'"
check "bad plan: exit 125 at step plan" bash -c "printf 'berth-plan 2\n' > '$T/badmount/plan'; '$CORE' create '$T/badmount' | grep -q '^error 125 plan 22 '"
check "failed starts leave no shim" bash -c "! ls '$T'/{missing,abspath,isdir,noexec}/shim.sock 2>/dev/null"

# --- 3. exit codes, stderr, escaping, partial lines ------------------------------------------
bundle code "arg probe" "arg exit" "arg 3"
run code >/dev/null; wait_exit code
check "exit code 3 recorded" [ "$(field code code)" = 3 ] && [ "$(field code signal)" = 0 ]
check "exit file format" grep -qE '^time [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?Z$' "$T/code/exit"
if [ -n "$BUSYBOX" ]; then
  bundle esc "arg sh" "arg -c" 'arg printf%20"a\\tb<&\\001\\377\\342\\200\\250\\n"%20>&2;%20printf%20partial'
  run esc >/dev/null; wait_exit esc
  check "stderr escaped like Docker" grep -qF '{"log":"a\u0009b\u003c\u0026\u0001\ufffd\u2028\n","stream":"stderr","time":"' "$T/esc/esc-json.log"
  check "unterminated output flushed" grep -qF '{"log":"partial","stream":"stdout",' "$T/esc/esc-json.log"

  # --- 4. the shim: socket, survival without the daemon, kill, wait, attach, stdin ---------
  bundle svc "stdin open" "arg sh" "arg -c" "arg echo%20ready;%20cat;%20echo%20done;%20sleep%2030"
  ( "$CORE" create "$T/svc" > "$T/svc/result" ) # the "daemon" is this subshell; it is gone now
  SHIM=$(awk '$1=="started"{print $3}' "$T/svc/result"); INIT=$(awk '$1=="started"{print $2}' "$T/svc/result")
  sleep 0.3
  check "shim alive after the daemon left" kill -0 "$SHIM"
  check "shim is not our child" [ "$(awk '{print $4}' "/proc/$SHIM/stat")" != $$ ]
  check "shim is in its own session" [ "$(awk '{print $6}' "/proc/$SHIM/stat")" != "$(awk '{print $6}' /proc/$$/stat)" ]
  check "shim socket: state" bash -c "'$CORE' ctl '$T/svc' state | grep -qx 'state running $INIT'"
  check "shim socket: unknown request" bash -c "'$CORE' ctl '$T/svc' bogus | grep -q '^error 22 '"
  check "resize without a tty: error 25" bash -c "'$CORE' ctl '$T/svc' resize 10 10 | grep -q '^error 25 '"
  "$CORE" ctl "$T/svc" attach > "$T/svc/attach.out" &
  ATTACH=$!
  sleep 0.2
  "$CORE" ctl "$T/svc" stdin "hello"$'\n' >/dev/null
  "$CORE" ctl "$T/svc" close-stdin >/dev/null
  sleep 0.3
  echo "shim RSS: $(ps -o rss= -p "$SHIM" | tr -d ' ') KiB"
  "$CORE" ctl "$T/svc" wait > "$T/svc/wait.out" &
  WAITER=$!
  sleep 0.2
  check "shim socket: kill" bash -c "'$CORE' ctl '$T/svc' kill 9 | grep -qx ok"
  wait "$WAITER" "$ATTACH" || true
  check "wait answers the exit" grep -q '^exit 137 9 ' "$T/svc/wait.out"
  check "attach streamed output" grep -qx 'stdout hello%0A' "$T/svc/attach.out"
  check "the first attach got the output from before it" grep -qx 'stdout ready%0A' "$T/svc/attach.out"
  check "attach got the exit" grep -q '^exit 137 9 ' "$T/svc/attach.out"
  check "stdin reached the log" bash -c "[ \"\$(logtext svc stdout 2>/dev/null || true)\" ] || true; grep -q '\"log\":\"hello\\\\n\"' '$T/svc/svc-json.log'"
  check "exit file: killed by 9" [ "$(field svc code)" = 137 ] && [ "$(field svc signal)" = 9 ]
  check "exit file: oom flag known" grep -qE '^oom (0|1)$' "$T/svc/exit"
  sleep 0.2
  # gone or a zombie of whoever reaps orphans here
  check "shim gone after the exit" bash -c "! grep -q '^[^ ]* ([^)]*) [RSD]' /proc/$SHIM/stat 2>/dev/null && [ ! -e '$T/svc/shim.sock' ]"

  # --- 7. a TTY container: a pty of its own devpts, resize, raw attach, Docker's TTY log ---
  bundle tty "terminal" "console-size 30 100" "stdin open" "arg sh" "arg -c" \
    'arg read%20x;%20tty;%20stty%20size;%20printf%20"one\ntwo\nthree\n"%20>/f;%20stty%20-opost;%20cat%20/f;%20stty%20opost;%20read%20y;%20stty%20size;%20echo%20bye%20>&2'
  check "tty: create exits 0" [ "$(run tty)" = 0 ]
  TSHIM=$(awk '$1=="started"{print $3}' "$T/tty/result")
  "$CORE" ctl "$T/tty" attach > "$T/tty/attach.out" &
  TATT=$!
  sleep 0.2
  "$CORE" ctl "$T/tty" stdin "go"$'\n' >/dev/null
  sleep 0.3
  echo "shim RSS (tty container): $(ps -o rss= -p "$TSHIM" | tr -d ' ') KiB"
  check "tty: resize answers ok" bash -c "'$CORE' ctl '$T/tty' resize 40 120 | grep -qx ok"
  "$CORE" ctl "$T/tty" stdin "x"$'\n' >/dev/null
  wait "$TATT" || true
  wait_exit tty
  attach_text "$T/tty/attach.out" > "$T/tty/attach.txt"
  check "tty: tty is /dev/pts/0" grep -q $'^/dev/pts/0\r$' "$T/tty/attach.txt"
  check "tty: stty size is console-size" grep -q $'^30 100\r$' "$T/tty/attach.txt"
  check "tty: resize changed the size" grep -q $'^40 120\r$' "$T/tty/attach.txt"
  check "tty: stderr goes to the tty too" grep -q $'^bye\r$' "$T/tty/attach.txt"
  # one write(2) with output processing off is one read on the master: the shim forwards it whole
  check "tty: attach chunk not line-split" grep -q "^stdout .*one%0Atwo%0Athree%0A" "$T/tty/attach.out"
  check "tty: exit 0" [ "$(field tty code)" = 0 ]
  check "tty: log has one entry per line with \\r\\n" bash -c "grep -qF '{\"log\":\"/dev/pts/0\\r\\n\",\"stream\":\"stdout\",' '$T/tty/tty-json.log' && grep -qF '{\"log\":\"two\\n\",\"stream\":\"stdout\",' '$T/tty/tty-json.log' && grep -qF '{\"log\":\"bye\\r\\n\",\"stream\":\"stdout\",' '$T/tty/tty-json.log'"
  check "tty: log is all stdout" bash -c "! grep -q '\"stream\":\"stderr\"' '$T/tty/tty-json.log'"
  check "tty: log holds the echoed input" grep -qF '{"log":"go\r\n","stream":"stdout",' "$T/tty/tty-json.log"

  # --- 8. exec into a running container ------------------------------------------------------
  bundle xc "arg sleep" "arg 30"
  check "exec: container starts" [ "$(run xc)" = 0 ]
  XINIT=$(awk '$1=="started"{print $2}' "$T/xc/result")
  # xplan <name> <extra lines...>: an exec plan like the container's process
  xplan() {
    local n=$1; shift
    {
      echo "berth-plan 1"
      for ns in pid mnt uts ipc net; do echo "join $ns /proc/$XINIT/ns/$ns"; done
      for c in "${CGROUPS[@]}"; do echo "cgroup $c"; done
      for s in bounding effective permitted; do echo "caps $s 0xa80425fb"; done
      echo "no-new-privs"
      echo "seccomp 0 060000000000ff7f"
      echo "env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
      for l in "$@"; do echo "$l"; done
    } > "$T/xc/$n.plan"
  }
  xplan probe "arg probe" "arg json"
  check "exec: plan-check --exec" "$CORE" plan-check --exec "$T/xc/probe.plan" > /dev/null
  check "exec: started" bash -c "'$CORE' ctl '$T/xc' exec p1 '$T/xc/probe.plan' | grep -q '^exec-started p1 [0-9]*$'"
  check "exec: duplicate id refused" bash -c "'$CORE' ctl '$T/xc' exec p1 '$T/xc/probe.plan' | grep -q '^error 17 '"
  "$CORE" ctl "$T/xc" attach-exec p1 > "$T/xc/p1.out"
  check "exec: attach-exec ends with exec-exit" grep -qx 'exec-exit p1 0 0' "$T/xc/p1.out"
  attach_text "$T/xc/p1.out" > "$T/xc/p1.json"
  xcheck() { node -e 'const p=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const ok=eval(process.argv[2]);if(!ok){console.error(JSON.stringify(p).slice(0,3000));process.exit(1)}' "$T/xc/p1.json" "$1"; }
  check "exec: same pid ns, init is 1" xcheck 'p.pid!==1 && p.ppid===0 && p.pid1comm==="sleep"'
  check "exec: same hostname" xcheck 'p.hostname==="xc"'
  INIT_MOUNTS=$(awk '{print $5}' "/proc/$XINIT/mountinfo" | paste -sd, -)
  check "exec: same mounts as the init" xcheck "p.mounts.map(m=>m.target).join(',')==='$INIT_MOUNTS'"
  INIT_CG=$(paste -sd'|' "/proc/$XINIT/cgroup")
  check "exec: same cgroups as the init" xcheck "p.cgroup.join('|')==='$INIT_CG'"
  check "exec: the plan's caps, NNP and seccomp" xcheck 'p.CapEff==="00000000a80425fb" && p.CapBnd==="00000000a80425fb" && p.NoNewPrivs==="1" && p.Seccomp==="2"'
  check "exec: env from the plan only" xcheck '!p.env.some(e=>e.startsWith("HOSTNAME="))'
  check "exec: wait-exec after the end" bash -c "'$CORE' ctl '$T/xc' wait-exec p1 | grep -qx 'exec-exit p1 0 0'"
  xplan code "arg probe" "arg exit" "arg 7"
  "$CORE" ctl "$T/xc" exec c7 "$T/xc/code.plan" > /dev/null
  check "exec: exit code through wait-exec" bash -c "'$CORE' ctl '$T/xc' wait-exec c7 | grep -qx 'exec-exit c7 7 0'"
  xplan miss "arg nosuchbinary"
  check "exec: missing binary is 127" bash -c "'$CORE' ctl '$T/xc' exec m1 '$T/xc/miss.plan' | grep -q '^exec-error m1 127 exec 2 exec:%20\"nosuchbinary\":%20executable%20file%20not%20found'"
  check "exec: missing plan is 125 at step plan" bash -c "'$CORE' ctl '$T/xc' exec b1 '$T/xc/nope.plan' | grep -q '^exec-error b1 125 plan 2 '"
  printf 'berth-plan 1\njoin mnt /nonexistent-berth\narg probe\n' > "$T/xc/badjoin.plan"
  check "exec: bad join is 125 at step join" bash -c "'$CORE' ctl '$T/xc' exec b2 '$T/xc/badjoin.plan' | grep -q '^exec-error b2 125 join 2 '"
  check "exec: bad exec id refused" bash -c "'$CORE' ctl '$T/xc' exec 'a/b' '$T/xc/probe.plan' | grep -q '^error 22 '"
  check "exec: failed exec has no record" bash -c "'$CORE' ctl '$T/xc' wait-exec m1 | grep -q '^error 2 '"
  xplan xt "terminal" "console-size 20 60" "stdin open" "arg sh" "arg -c" 'arg tty;%20stty%20size;%20read%20x;%20stty%20size;%20exit%204'
  check "exec tty: started" bash -c "'$CORE' ctl '$T/xc' exec t1 '$T/xc/xt.plan' | grep -q '^exec-started t1 '"
  "$CORE" ctl "$T/xc" attach-exec t1 > "$T/xc/t1.out" &
  XATT=$!
  sleep 0.3
  check "exec tty: resize-exec" bash -c "'$CORE' ctl '$T/xc' resize-exec t1 33 77 | grep -qx ok"
  "$CORE" ctl "$T/xc" stdin-exec t1 $'\n' > /dev/null
  wait "$XATT" || true
  attach_text "$T/xc/t1.out" > "$T/xc/t1.txt"
  check "exec tty: a pty of the container" grep -q $'^/dev/pts/[0-9]*\r$' "$T/xc/t1.txt"
  check "exec tty: console-size" grep -q $'^20 60\r$' "$T/xc/t1.txt"
  check "exec tty: resized" grep -q $'^33 77\r$' "$T/xc/t1.txt"
  check "exec tty: exit code" grep -qx 'exec-exit t1 4 0' "$T/xc/t1.out"
  xplan xi "stdin open" "arg cat"
  "$CORE" ctl "$T/xc" exec i1 "$T/xc/xi.plan" > /dev/null
  check "exec: resize-exec without a tty: error 25" bash -c "'$CORE' ctl '$T/xc' resize-exec i1 1 1 | grep -q '^error 25 '"
  "$CORE" ctl "$T/xc" stdin-exec i1 "hello exec"$'\n' > /dev/null
  "$CORE" ctl "$T/xc" close-stdin-exec i1 > /dev/null
  "$CORE" ctl "$T/xc" attach-exec i1 > "$T/xc/i1.out"
  check "exec stdin: echoed back" grep -qx 'stdout hello%20exec%0A' "$T/xc/i1.out"
  check "exec stdin: exit 0 at EOF" grep -qx 'exec-exit i1 0 0' "$T/xc/i1.out"
  check "exec: unknown exec id" bash -c "'$CORE' ctl '$T/xc' attach-exec nope | grep -q '^error 2 '"
  check "exec: output not in the container log" bash -c "! grep -qs 'hello\\|pid1comm' '$T/xc/xc-json.log'"
  "$CORE" ctl "$T/xc" kill 9 > /dev/null
  wait_exit xc
  check "exec: refused after the exit" bash -c "[ ! -e '$T/xc/shim.sock' ]"

  # --- 9. --init: berth-core as docker-init -------------------------------------------------
  ZOMB='arg (sleep%200.1%20&);%20exec%20sleep%201.5'
  bundle zomb "arg sh" "arg -c" "$ZOMB"
  bundle zinit "mount bind $CORE /sbin/docker-init ro -" "arg /sbin/docker-init" "arg --" "arg sh" "arg -c" "$ZOMB"
  run zomb > /dev/null; run zinit > /dev/null
  sleep 0.7
  # zombies <init pid>: processes in state Z whose parent is the container's PID 1
  zombies() { local n=0; for s in /proc/[0-9]*/status; do awk -v pp="$1" '/^State:/{s=$2} /^PPid:/{p=$2} END{exit !(s=="Z"&&p==pp)}' "$s" 2>/dev/null && n=$((n+1)); done; echo $n; }
  check "init: without it an orphan stays a zombie" [ "$(zombies "$(awk '$1=="started"{print $2}' "$T/zomb/result")")" -ge 1 ]
  check "init: with it no zombie remains" [ "$(zombies "$(awk '$1=="started"{print $2}' "$T/zinit/result")")" = 0 ]
  wait_exit zomb; wait_exit zinit
  check "init: exit code of the child" [ "$(field zinit code)" = 0 ]
  bundle zsig "mount bind $CORE /sbin/docker-init ro -" "arg /sbin/docker-init" "arg --" "arg sleep" "arg 30"
  run zsig > /dev/null
  sleep 0.3
  kill -TERM "$(awk '$1=="started"{print $3}' "$T/zsig/result")"
  wait_exit zsig
  check "init: SIGTERM forwarded, exit 143" [ "$(field zsig code)" = 143 ] && [ "$(field zsig signal)" = 0 ]
  check "init: as a command, child's code" bash -c "'$CORE' init -- sh -c 'exit 3'; [ \$? = 3 ]"
  check "init: missing command is 127" bash -c "'$CORE' init -- /nonexistent-berth 2>/dev/null; [ \$? = 127 ]"
  ln -s "$CORE" "$T/docker-init"
  check "init: as docker-init, killed child is 128+sig" bash -c "'$T/docker-init' -- sh -c 'kill -TERM \$\$'; [ \$? = 143 ]"

  # --- 5. log rotation --------------------------------------------------------------------
  bundle rot "arg sh" "arg -c" 'arg i=0;%20while%20[%20$i%20-lt%20200%20];%20do%20echo%20line$i;%20i=$((i+1));%20done'
  sed -i "s|^log .*|log $T/rot/rot-json.log 1000 3|" "$T/rot/plan"
  run rot >/dev/null; wait_exit rot
  check "rotation keeps max-file files" bash -c "[ -s '$T/rot/rot-json.log' ] && [ -s '$T/rot/rot-json.log.1' ] && [ -s '$T/rot/rot-json.log.2' ] && [ ! -e '$T/rot/rot-json.log.3' ]"
  check "rotation respects max-size" bash -c "for f in '$T'/rot/rot-json.log*; do [ \$(stat -c %s \"\$f\") -lt 1100 ] || exit 1; done"
  check "newest line in the current file" grep -q 'line199' "$T/rot/rot-json.log"
else
  echo "SKIP busybox tests: install busybox-static"
fi

# --- 6. nothing left behind ------------------------------------------------------------------
cleanup
trap - EXIT
check "no leftover mounts" bash -c "! grep -q '$NAME' /proc/self/mountinfo"
check "no leftover temp dir" [ ! -e "$T" ]
check "no leftover cgroups" bash -c "! ls -d /sys/fs/cgroup/$NAME /sys/fs/cgroup/*/$NAME 2>/dev/null | grep -q ."
check "no leftover processes" bash -c "! ls -l /proc/[0-9]*/cwd 2>/dev/null | grep -q '$T'"
if [ "$FAILS" -gt 0 ]; then echo "core-root: $FAILS failure(s)"; exit 1; fi
echo "core-root: all passed"
