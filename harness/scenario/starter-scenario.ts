/**
 * The text `layerbench init` writes: a scenario to edit, every section commented, valid as it
 * stands. The first line points editors (yaml-language-server) at the published JSON Schema.
 */

/** The modeline that gives editors completion and checks from the scenario schema. */
export function schemaHeader(schemaRef: string): string {
  return `# yaml-language-server: $schema=${schemaRef}`
}

/** A minimal, commented scenario named `name`: two backends behind an HTTP listener, steady load, one expectation. */
export function starterScenario(name: string, schemaRef: string): string {
  return `${schemaHeader(schemaRef)}
# A layerbench scenario. Check it with \`layerbench validate ${name}.yaml\`, run it with
# \`layerbench run ${name}.yaml --quick\`; the report lands in out/${name}/report.html.
name: ${name}
# What the scenario asks, in a sentence or two: the report opens with it.
description: >
  Two backends behind the reference balancer at L7 with round robin: do they share the load
  evenly, without errors?
tags: [l7]

# Groups of identical backends (the backend app, as processes or containers). A backend's
# behaviour (latency, errors, resets) is set per group: see scenarios/README.md.
backends:
  web: { count: 2 }

# The balancer under test. implementation: engine (default), haproxy or nginx.
balancer:
  listeners:
    - { name: web, protocol: http, routes: [{ pool: web }] }
  pools:
    web:
      backends: web
      algorithm: round-robin

# The load: closed loop (connections, as fast as answered) or open loop (mode: open, rate: N/s).
load:
  connections: 8
  duration: 5s
  warmup: 1s

# What --quick changes (CI): shorter load.
quick: { duration: 2s, warmup: 500ms }

# Faults during the measured phase, e.g. - { at: 2s, do: kill, target: 'web[0]' }
timeline: []

# Variants: every combination of these values is one run, e.g. algorithm: [round-robin, p2c]
# with balancer.pools.web.algorithm: '\${algorithm}' above.
matrix: {}

# What must hold; a failed expectation makes \`layerbench run\` exit 1.
expect:
  - { name: no errors, errorRate: { max: 0 } }
  - { name: even spread, fairness: { maxOverMean: { max: 1.2 } } }
`
}

/**
 * One of the shipped scenarios as the start of a new one: renamed, its schema header pointed at
 * `schemaRef`, and a first comment saying where it came from.
 */
export function scenarioFromExample(example: string, from: string, name: string, schemaRef: string): string {
  const body = example
    .split('\n')
    .filter((line) => !line.startsWith('# yaml-language-server:'))
    .join('\n')
    .replace(/^name: .*$/m, `name: ${name}`)
  return `${schemaHeader(schemaRef)}\n# Started from the shipped scenario "${from}"; edit freely, then \`layerbench validate ${name}.yaml\`.\n${body}`
}
