import { describe, expect, it } from 'vitest'
import { fillHook } from '../../../harness/peers/external/hooks.js'
import { checkTemplate, renderTemplate, type TemplateContext } from '../../../harness/peers/external/template.js'

const context: TemplateContext = {
  dir: '/run/x',
  configFile: '/run/x/lb.conf',
  listeners: [
    { name: 'web', host: '127.0.0.1', port: 8080, protocol: 'http' },
    { name: 'v6', host: '::1', port: 8443, protocol: 'https' },
  ],
  pools: [
    { name: 'app', algorithm: 'round-robin', backends: [{ id: 'a', host: '127.0.0.2', port: 9001, weight: 3, backup: false }, { id: 'b', host: '127.0.0.3', port: 9002, weight: 1, backup: true }] },
    { name: 'empty', algorithm: 'least-connections', backends: [] },
  ],
}
const shape = { listeners: ['web', 'v6'], pools: ['app', 'empty'] }

describe('external configuration templates', () => {
  it('renders listeners, pools and backends with weights', () => {
    const simple = 'pid {{dir}}/pid\nlisten {{listeners.web.address}} [{{listeners.v6.host}}]:{{listeners.v6.port}}\n{{#backends app}}server {{id}} {{address}} weight {{weight}} backup={{backup}} #{{index}}\n{{/backends}}'
    expect(checkTemplate(simple, shape)).toEqual([])
    expect(renderTemplate(simple, context)).toBe('pid /run/x/pid\nlisten 127.0.0.1:8080 [::1]:8443\nserver a 127.0.0.2:9001 weight 3 backup=false #0\nserver b 127.0.0.3:9002 weight 1 backup=true #1\n')
  })
  it('loops over listeners and pools, backends nested in their pool', () => {
    const t = '{{#listeners}}bind {{address}} {{protocol}}\n{{/listeners}}{{#pools}}[{{name}} {{algorithm}}]{{#backends}} {{id}}{{/backends}}\n{{/pools}}{{pools.app.algorithm}}'
    expect(checkTemplate(t, shape)).toEqual([])
    expect(renderTemplate(t, context)).toBe('bind 127.0.0.1:8080 http\nbind [::1]:8443 https\n[app round-robin] a b\n[empty least-connections]\nround-robin')
  })
  it('finds every problem before anything runs, with its line', () => {
    const t = 'bind {{listeners.web.port}}\n{{listener.web.port}}\n{{#backends nope}}{{id}}{{/backends}}\n{{#pools}}{{weight}}{{/pools}}\n{{ oops\n{{#listeners}}'
    const issues = checkTemplate(t, shape)
    const text = issues.map((i) => `${i.line}: ${i.message}`)
    expect(text).toEqual(
      expect.arrayContaining([
        '2: {{listener.web.port}} is not a placeholder',
        '3: {{#backends nope}}: no pool "nope" (pools: app, empty)',
        expect.stringMatching(/^4: \{\{weight\}\} is not a placeholder here \(inside this section: name, algorithm, index\)/),
        expect.stringMatching(/^5: "\{\{ oops/),
        '6: {{#listeners}} is never closed',
        expect.stringContaining("never writes listener v6's port"),
      ]),
    )
    expect(text.some((l) => l.includes("listener web's port"))).toBe(false)
  })
  it('a template that writes no port of a listener is refused; commands need not write ports', () => {
    expect(checkTemplate('{{#backends app}}{{address}}{{/backends}}', shape).map((i) => i.message)).toHaveLength(2)
    expect(checkTemplate('{{configFile}}', shape, { requirePorts: false })).toEqual([])
  })
  it('hooks fill in their placeholders, URL-encoded where asked, and leave unknown ones', () => {
    expect(fillHook('/w?b={{backend}}&w={{weight}}&a={{address}}', { pool: 'p', backend: 'a b', host: '::1', port: 80, weight: 2 }, encodeURIComponent)).toBe('/w?b=a%20b&w=2&a=%5B%3A%3A1%5D%3A80')
    expect(fillHook('{{pool}}/{{backend}} {{weight}}', { pool: 'p', backend: 'x' })).toBe('p/x {{weight}}')
  })
})
