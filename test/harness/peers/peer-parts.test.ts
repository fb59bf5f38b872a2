import { describe, expect, it } from 'vitest'
import { haproxyBackendName, haproxyServerName } from '../../../harness/peers/haproxy/names.js'
import { parseServersState, serverHealthy } from '../../../harness/peers/haproxy/runtime.js'
import { integerWeights, toInteger } from '../../../harness/peers/integer-weights.js'
import { parseHaproxyVersion } from '../../../harness/peers/haproxy/driver.js'
import { parseNginxStream, parseNginxVersion } from '../../../harness/peers/nginx/driver.js'
import { haproxyLiteralFormat, haproxyWord } from '../../../harness/peers/haproxy/quoting.js'
import { nginxHeaderVariable, nginxString, nginxValue } from '../../../harness/peers/nginx/quoting.js'
import { pcreLiteral } from '../../../harness/peers/quoting.js'

describe('integerWeights', () => {
  it.each([
    { weights: [1, 2, 3], max: 256, out: [1, 2, 3], exact: true },
    { weights: [0.5, 1.5], max: 256, out: [1, 3], exact: true },
    { weights: [2.5, 2.5, 1], max: 256, out: [5, 5, 2], exact: true },
    { weights: [1000, 1], max: 256, out: [256, 1], exact: false },
    { weights: [0, 3], max: 256, out: [0, 3], exact: true },
    { weights: [1 / 3, 1], max: 256, out: [85, 256], exact: false },
  ])('$weights within $max → $out', ({ weights, max, out, exact }) => {
    const r = integerWeights(weights, max)
    expect(r.weights).toEqual(out)
    expect(r.exact).toBe(exact)
  })
  it('a positive weight never rounds to 0, and runtime weights share the scale', () => {
    const { scale } = integerWeights([1000, 1], 256)
    expect(toInteger(0.001, scale, 256)).toBe(1)
    expect(toInteger(0, scale, 256)).toBe(0)
    expect(toInteger(500, scale, 256)).toBe(128)
    expect(toInteger(5000, scale, 256)).toBe(256)
  })
})

describe('quoting', () => {
  it.each([
    ['plain', 'plain'],
    ['a b', `'a b'`],
    [`it's`, `'it'\\''s'`],
    ['', `''`],
    ['$HOME', `'$HOME'`],
  ])('haproxyWord(%j) = %s', (input, out) => expect(haproxyWord(input)).toBe(out))
  it('HAProxy log-format literals double %', () => expect(haproxyLiteralFormat('50% off')).toBe(`'50%% off'`))
  it('nginx strings escape quotes and backslashes; values keep $ literal through a variable', () => {
    expect(nginxString('a"b\\c')).toBe('"a\\"b\\\\c"')
    expect(nginxValue('cost $5')).toBe('"cost ${lb_dollar}5"')
  })
  it('PCRE literals escape every metacharacter', () => {
    const s = 'a.b*c+d?(e)[f]{g}|h^i$j\\k'
    expect(new RegExp(`^${pcreLiteral(s)}$`).test(s)).toBe(true)
    expect(new RegExp(`^${pcreLiteral('a.b')}$`).test('axb')).toBe(false)
  })
  it('header variables', () => expect(nginxHeaderVariable('X-Tenant-Id')).toBe('$http_x_tenant_id'))
})

describe('HAProxy names', () => {
  it('keeps ids HAProxy accepts and makes others safe, deterministically and distinctly', () => {
    expect(haproxyServerName('web-1')).toBe('web-1')
    expect(haproxyServerName('127.0.0.1:8080')).toBe('127.0.0.1:8080')
    const odd = haproxyServerName('web 1/α')
    expect(odd).toMatch(/^[A-Za-z0-9_.:-]+$/)
    expect(haproxyServerName('web 1/α')).toBe(odd)
    expect(haproxyServerName('web 1/β')).not.toBe(odd)
    expect(haproxyBackendName('api', 'http')).toBe('l7.api')
    expect(haproxyBackendName('api', 'tcp')).toBe('l4.api')
  })
})

describe('show servers state', () => {
  const text = [
    '1',
    '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port',
    '3 l7.api 1 a1 127.0.0.1 2 0 1 1 5 15 3 4 6 0 0 0 - 9001 - 0 0 - - 0',
    '3 l7.api 2 a2 127.0.0.1 0 0 1 1 1 7 2 0 6 0 0 0 - 9002 - 0 0 - - 0',
    '3 l7.api 3 a3 127.0.0.1 0 1 1 1 1 7 2 0 6 0 0 0 - 9003 - 0 0 - - 0',
    '3 l7.api 4 a4 127.0.0.1 2 8 1 1 1 7 2 0 6 0 0 0 - 9004 - 0 0 - - 0',
    '',
  ].join('\n')
  it('parses servers by the header field names', () => {
    const states = parseServersState(text)
    expect(states.map((s) => `${s.backend}/${s.server}`)).toEqual(['l7.api/a1', 'l7.api/a2', 'l7.api/a3', 'l7.api/a4'])
    expect(states.map(serverHealthy)).toEqual([true, false, undefined, true])
  })
  it('reads nothing from an error answer', () => expect(parseServersState('Unknown command.\n')).toEqual([]))
})

describe('versions and builds', () => {
  it('reads versions the way the tools print them', () => {
    expect(parseHaproxyVersion('HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/\nStatus: …')).toBe('2.6.12-1+deb12u4')
    expect(parseHaproxyVersion('HA-Proxy version 2.0.33 2023/09/01')).toBe('2.0.33')
    expect(parseNginxVersion('nginx version: nginx/1.22.1\n')).toBe('1.22.1')
    expect(parseNginxVersion('nginx version: openresty/1.21.4.1')).toBe('1.21.4.1')
    expect(parseNginxVersion('bash: nginx: command not found')).toBeUndefined()
  })
  it('finds the stream module: built in, dynamic, or missing', () => {
    expect(parseNginxStream('configure arguments: --with-stream --with-http_ssl_module')).toBe('static')
    expect(parseNginxStream('--modules-path=/usr/lib/nginx/modules --with-stream=dynamic', () => true)).toBe('/usr/lib/nginx/modules/ngx_stream_module.so')
    expect(parseNginxStream('--modules-path=/usr/lib/nginx/modules --with-stream=dynamic', () => false)).toBeUndefined()
  })
})
