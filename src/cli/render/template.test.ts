import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFloat, formatValue, sprintf } from './go-fmt';
import {
  compileTemplate,
  defaultHeader,
  formatTable,
  isTableFormat,
  prepareFormat,
  renderTemplate as render,
  TemplateError,
} from './template';

const data = {
  Id: 'abc123',
  Name: '/web',
  Args: ['-c', 'echo hi'],
  Config: {
    Image: 'busybox',
    Env: ['PATH=/bin', 'A=1'],
    Labels: { 'com.example.b': '2', 'com.example.a': '1' },
    Cmd: null,
  },
  State: { Running: true, Pid: 4242, ExitCode: 0, Status: 'running' },
  Size: 1234567,
  Ratio: 0.25,
  Empty: [],
};

function parseError(format: string): string {
  try {
    compileTemplate(format);
  } catch (e) {
    assert.ok(e instanceof TemplateError);
    assert.equal(e.phase, 'parse');
    return e.message;
  }
  return assert.fail(`no parse error for ${format}`);
}

function execError(format: string, value: unknown = data): string {
  try {
    render(format, value);
  } catch (e) {
    assert.ok(e instanceof TemplateError);
    assert.equal(e.phase, 'exec');
    return e.message;
  }
  return assert.fail(`no exec error for ${format}`);
}

describe('template actions', () => {
  it('prints fields, dot and text', () => {
    assert.equal(render('id={{.Id}} image={{.Config.Image}}', data), 'id=abc123 image=busybox');
    assert.equal(render('{{.}}', 'plain'), 'plain');
    assert.equal(render('no actions', data), 'no actions');
    assert.equal(render('{{.Args}}', data), '[-c echo hi]');
    assert.equal(render('{{.Config.Labels}}', data), 'map[com.example.a:1 com.example.b:2]');
  });

  it('prints <no value> for missing keys and <nil> for null', () => {
    assert.equal(render('{{.Nope}}', data), '<no value>');
    assert.equal(render('{{.Nope.Deeper}}', data), '<no value>');
    assert.equal(render('{{.Config.Cmd}}', data), '<nil>');
    assert.equal(render('{{print .Nope}}', data), '<nil>');
  });

  it('json, index, join, split', () => {
    assert.equal(render('{{json .Config.Env}}', data), '["PATH=/bin","A=1"]');
    assert.equal(render('{{json .Nope}}', data), 'null');
    assert.equal(render('{{json "<a&b>"}}', data), '"<a&b>"');
    assert.equal(render('{{index .Config.Labels "com.example.a"}}', data), '1');
    assert.equal(render('[{{index .Config.Labels "missing"}}]', data), '[]');
    assert.equal(render('{{index .Args 1}}', data), 'echo hi');
    assert.equal(render('{{index . 0 1}}', [['a', 'b']]), 'b');
    assert.equal(render('{{join .Args ","}}', data), '-c,echo hi');
    assert.equal(render('{{split "a:b:c" ":"}}', data), '[a b c]');
    assert.equal(render('{{index (split "a:b:c" ":") 2}}', data), 'c');
    assert.equal(render('{{len (split "" ",")}}', data), '1');
  });

  it('range over slices, maps, integers, with else, break and continue', () => {
    assert.equal(render('{{range .Config.Env}}{{.}} {{end}}', data), 'PATH=/bin A=1 ');
    assert.equal(
      render('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}', data),
      'com.example.a=1;com.example.b=2;',
    );
    assert.equal(render('{{range $i, $a := .Args}}{{$i}}:{{$a}} {{end}}', data), '0:-c 1:echo hi ');
    assert.equal(render('{{range $a := .Args}}<{{$a}}>{{end}}', data), '<-c><echo hi>');
    assert.equal(render('{{range .Empty}}x{{else}}none{{end}}', data), 'none');
    assert.equal(render('{{range .Nope}}x{{end}}', data), '');
    assert.equal(render('{{range 3}}{{.}}{{end}}', data), '012');
    assert.equal(
      render('{{range .}}{{if eq . 3}}{{break}}{{end}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}', [0, 1, 2, 3, 4]),
      '02',
    );
    assert.equal(render('{{range .Args}}{{$.Id}} {{end}}', data), 'abc123 abc123 ');
  });

  it('if / else if / else, with', () => {
    const t = compileTemplate('{{if .A}}a{{else if .B}}b{{else}}c{{end}}');
    assert.equal(t({ A: 1 }), 'a');
    assert.equal(t({ B: 'x' }), 'b');
    assert.equal(t({ A: 0, B: '' }), 'c');
    assert.equal(t({ A: [], B: {} }), 'c');
    assert.equal(render('{{with .State}}{{.Status}}{{end}}', data), 'running');
    assert.equal(render('{{with .Nope}}x{{else}}y{{end}}', data), 'y');
    assert.equal(render('{{with .Nope}}x{{else with .State}}{{.Pid}}{{end}}', data), '4242');
    assert.equal(render('{{with $s := .State}}{{$s.Pid}}{{end}}', data), '4242');
  });

  it('pipelines, parentheses and variables', () => {
    assert.equal(render('{{.Config.Image | upper}}', data), 'BUSYBOX');
    assert.equal(render('{{.Name | printf "%s!"}}', data), '/web!');
    assert.equal(render('{{(index .Args 1) | len}}', data), '7');
    assert.equal(render('{{$x := .State.Pid}}pid={{$x}}', data), 'pid=4242');
    assert.equal(render('{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', data), '2');
    assert.equal(render('{{$}}', 'root'), 'root');
    assert.equal(render('{{(.State).Pid}}', data), '4242');
  });

  it('trims around {{- and -}} and skips comments', () => {
    assert.equal(render('a \n {{- .Id -}} \n b', data), 'aabc123b');
    assert.equal(render('{{- /* comment */ -}}  x', data), 'x');
    assert.equal(render('x{{/* a\nmultiline comment */}}y', data), 'xy');
    assert.equal(render('{{-3}}', data), '-3');
  });

  it('literals', () => {
    assert.equal(
      render('{{"a\\tb"}} {{`raw\\n`}} {{1}} {{1.5}} {{0x1F}} {{1e3}} {{true}} {{\'a\'}}', data),
      'a\tb raw\\n 1 1.5 31 1000 true 97',
    );
  });

  it('comparisons and logic', () => {
    assert.equal(render('{{eq .State.Status "running"}} {{eq 1 2 1}} {{ne 1 2}}', data), 'true true true');
    assert.equal(render('{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', data), 'true true true false');
    assert.equal(
      render('{{and 1 "x"}} {{and 1 0}} {{or 0 ""}} {{or 0 "y"}} {{not .State.Running}}', data),
      'x 0  y false',
    );
    assert.equal(render('{{if and .State.Running (eq .State.ExitCode 0)}}ok{{end}}', data), 'ok');
    assert.equal(render('{{eq .Config.Cmd nil}}', data), 'true');
    // and/or stop evaluating at the deciding argument
    assert.equal(render('{{or .Id (index .Args 99)}}', data), 'abc123');
  });

  it('len, print, println, printf', () => {
    assert.equal(render('{{len .Args}} {{len .Config.Labels}} {{len "héllo"}}', data), '2 2 6');
    assert.equal(render('{{print "a" 1 2 "b"}}', data), 'a1 2b');
    assert.equal(render('{{println "a" 1}}', data), 'a 1\n');
    assert.equal(
      render('{{printf "%-8s|%5d|%q|%x|%t|%v" .Config.Image .State.Pid "x" 255 true .Args}}', data),
      'busybox | 4242|"x"|ff|true|[-c echo hi]',
    );
    assert.equal(render('{{printf "%.2f %d%%" .Ratio 5}}', data), '0.25 5%');
  });

  it('docker string functions', () => {
    assert.equal(
      render('{{lower "ABC"}} {{upper "abc"}} {{title "hello wide-world"}}', data),
      'abc ABC Hello Wide-World',
    );
    assert.equal(render('[{{pad "x" 2 1}}][{{pad "" 2 1}}]', data), '[  x ][]');
    assert.equal(render('{{truncate .Id 3}} {{truncate "ab" 5}}', data), 'abc ab');
  });

  it('other Go builtins', () => {
    assert.equal(render('{{slice .Args 1}} {{slice "abcdef" 1 3}}', data), '[echo hi] bc');
    assert.equal(render('{{html "<a&b>"}}', data), '&lt;a&amp;b&gt;');
    assert.equal(render('{{urlquery "a b&c"}}', data), 'a+b%26c');
    assert.equal(render('{{define "x"}}[{{.}}]{{end}}{{template "x" .Id}}', data), '[abc123]');
    assert.equal(render('{{block "b" .Id}}<{{.}}>{{end}}', data), '<abc123>');
  });

  it('calls functions found in the data as methods', () => {
    const row = { Label: (k: string) => `label:${k}`, Names: () => ['a', 'b'] };
    assert.equal(render('{{.Label "x"}} {{.Names}}', row), 'label:x [a b]');
  });

  it('accepts custom functions', () => {
    assert.equal(render('{{double 21}}', null, { funcs: { double: (n) => (n as number) * 2 } }), '42');
  });
});

describe('template errors', () => {
  it('parse errors read like Go', () => {
    assert.equal(parseError('{{.Id}'), "template: :1: bad character U+007D '}'");
    assert.equal(parseError('{{if .A}}x'), 'template: :1: unexpected EOF');
    assert.equal(parseError('x\n{{end}}'), 'template: :2: unexpected {{end}}');
    assert.equal(parseError('{{else}}'), 'template: :1: unexpected {{else}}');
    assert.equal(parseError('{{nope .A}}'), 'template: :1: function "nope" not defined');
    assert.equal(parseError('{{$x}}'), 'template: :1: undefined variable "$x"');
    assert.equal(parseError('{{}}'), 'template: :1: missing value for command');
    assert.equal(parseError('{{if}}{{end}}'), 'template: :1: missing value for if');
    assert.equal(parseError('{{.A'), 'template: :1: unclosed action');
    assert.equal(parseError('{{"abc}}'), 'template: :1: unterminated quoted string');
    assert.equal(parseError('{{(.A}}'), 'template: :1: unclosed left paren');
    assert.equal(parseError('{{.A)}}'), 'template: :1: unexpected right paren');
    assert.equal(parseError('{{break}}'), 'template: :1: {{break}} outside {{range}}');
    assert.equal(parseError('{{/* x'), 'template: :1: unclosed comment');
    assert.match(parseError('{{.A }'), /unexpected "}" in operand/);
  });

  it('exec errors carry the position and the node', () => {
    assert.equal(
      execError('{{.Id.X}}'),
      'template: :1:2: executing "" at <.Id.X>: can\'t evaluate field X in type string',
    );
    assert.equal(
      execError('{{.Config.Cmd.X}}'),
      'template: :1:2: executing "" at <.Config.Cmd.X>: nil pointer evaluating interface {}.X',
    );
    assert.equal(
      execError('{{index .Args 5}}'),
      'template: :1:2: executing "" at <index .Args 5>: error calling index: index out of range: 5',
    );
    assert.equal(
      execError('{{upper .Size}}'),
      'template: :1:8: executing "" at <.Size>: wrong type for value; expected string; got int',
    );
    assert.equal(
      execError('{{eq .Id 1}}'),
      'template: :1:2: executing "" at <eq .Id 1>: error calling eq: incompatible types for comparison',
    );
    assert.equal(
      execError('{{range .Id}}{{end}}'),
      'template: :1:8: executing "" at <.Id>: range can\'t iterate over abc123',
    );
    assert.equal(
      execError('{{.Id 1}}'),
      'template: :1:2: executing "" at <.Id 1>: Id is not a method but has arguments',
    );
    assert.equal(execError('{{len 3}}'), 'template: :1:2: executing "" at <len 3>: error calling len: len of type int');
    assert.equal(
      execError('x\n {{upper 1}}'),
      'template: :2:9: executing "" at <1>: wrong type for value; expected string; got int',
    );
    assert.equal(
      execError('{{join .X ","}}', { X: [1] }),
      'template: :1:7: executing "" at <.X>: wrong type for value; expected []string; got []interface {}',
    );
    assert.match(execError('{{template "nope"}}'), /no such template "nope"/);
  });
});

describe('Go value printing', () => {
  it('prints numbers like Go', () => {
    assert.equal(formatValue(42), '42');
    assert.equal(formatValue(-0), '0');
    assert.equal(formatValue(1e21), '1000000000000000000000');
    assert.equal(formatValue(2 ** 53 + 2), '9007199254740994');
    assert.equal(formatValue(1.5), '1.5');
    assert.equal(formatValue(1234567.5), '1.2345675e+06');
    assert.equal(formatValue(0.00001), '1e-05');
    assert.equal(formatValue(0.0001), '0.0001');
  });

  it('prints composites with sorted map keys', () => {
    assert.equal(formatValue([1, 'a', null, true]), '[1 a <nil> true]');
    assert.equal(formatValue({ b: 1, a: { y: [], x: 'z' } }), 'map[a:map[x:z y:[]] b:1]');
    assert.equal(formatValue(undefined), '<no value>');
    assert.equal(formatValue(null), '<nil>');
  });

  it('formats floats with strconv precision rules', () => {
    assert.equal(formatFloat(1.125, 'g', 3), '1.12');
    assert.equal(formatFloat(1000, 'g', 3), '1e+03');
    assert.equal(formatFloat(0.5, 'f', 0), '0');
    assert.equal(formatFloat(1.5, 'f', 0), '2');
    assert.equal(formatFloat(1234.5678, 'e', 2), '1.23e+03');
    assert.equal(formatFloat(-2.5, 'f', 3), '-2.500');
  });

  it('sprintf follows fmt', () => {
    assert.equal(
      sprintf('%5s|%-5s|%05d|%+d|%x|%X|%o|%b', ['ab', 'ab', 42, 3, 'hi', 255, 8, 5]),
      '   ab|ab   |00042|+3|6869|FF|10|101',
    );
    assert.equal(sprintf('%q %v %s', ['a"b', { k: [1] }, ['x', 'y']]), '"a\\"b" map[k:[1]] [x y]');
    assert.equal(sprintf('%d', ['x']), '%!d(string=x)');
    assert.equal(sprintf('%s', [5]), '%!s(int=5)');
    assert.equal(sprintf('%d %d', [1]), '1 %!d(MISSING)');
    assert.equal(sprintf('%d', [1, 'x']), '1%!(EXTRA string=x)');
    assert.equal(
      sprintf('%.3s|%8.2f|%e|%g|%c|%%', ['abcdef', 3.14259, 1500, 0.5, 65]),
      'abc|    3.14|1.500000e+03|0.5|A|%',
    );
    assert.equal(sprintf('%v %s', [null, null]), '<nil> <nil>');
    assert.equal(sprintf('%t', [1]), '%!t(int=1)');
  });
});

describe('formatTable', () => {
  const rows = [
    { ID: 'sha256:1', Repository: 'busybox', Tag: 'latest', CreatedSince: '2 weeks ago', Size: '4.26MB' },
    {
      ID: 'sha256:2',
      Repository: 'registry.example.com/team/app',
      Tag: 'v1',
      CreatedSince: '3 days ago',
      Size: '120MB',
    },
  ];
  const headers = { ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', CreatedSince: 'CREATED', Size: 'SIZE' };

  it('renders table formats with headers and tabwriter alignment', () => {
    assert.equal(
      formatTable('table {{.Repository}}\\t{{.Tag}}\\t{{.Size}}', rows, headers),
      [
        'REPOSITORY                      TAG       SIZE',
        'busybox                         latest    4.26MB',
        'registry.example.com/team/app   v1        120MB',
        '',
      ].join('\n'),
    );
  });

  it('passes header titles through docker header functions and derives missing titles', () => {
    assert.equal(
      formatTable('table {{upper .Tag}}\t{{json .ID}}\t{{.CreatedAt}}', rows.slice(0, 1), headers),
      'TAG       IMAGE ID     CREATED AT\nLATEST    "sha256:1"   <no value>\n',
    );
    assert.equal(defaultHeader('CreatedAt'), 'CREATED AT');
    assert.equal(defaultHeader('IPAddress'), 'IP ADDRESS');
    assert.equal(defaultHeader('ID'), 'ID');
  });

  it('prints the header even without rows, and uses a default for a bare "table"', () => {
    assert.equal(formatTable('table {{.ID}}\t{{.Tag}}', [], headers), 'IMAGE ID   TAG\n');
    assert.equal(formatTable('table', rows.slice(0, 1), headers, { defaultTable: 'table {{.Tag}}' }), 'TAG\nlatest\n');
  });

  it('renders plain templates and json one line per row', () => {
    assert.equal(formatTable('{{.Tag}}', rows, headers), 'latest\nv1\n');
    assert.equal(formatTable('{{.Tag}}\\t{{.Size}}', rows.slice(0, 1)), 'latest\t4.26MB\n');
    assert.equal(formatTable('json', [{ A: 1 }, { A: '<x>' }]), '{"A":1}\n{"A":"<x>"}\n');
    assert.equal(formatTable('{{.Tag}}', []), '');
  });

  it('keeps the header written before an error in the header template', () => {
    assert.equal(
      formatTable('table {{.Tag}}\t{{index .Labels "x"}}', [{ Tag: 'a', Labels: { x: 'y' } }]),
      'TAG       \na         y\n',
    );
  });

  it('helpers', () => {
    assert.equal(isTableFormat('table {{.ID}}'), true);
    assert.equal(isTableFormat('{{.ID}}'), false);
    assert.equal(prepareFormat('table {{.ID}}\\t{{.Name}}\\n'), '{{.ID}}\t{{.Name}}\n');
    assert.equal(prepareFormat('json'), '{{json .}}');
    assert.throws(() => formatTable('{{.ID', rows), TemplateError);
  });
});
