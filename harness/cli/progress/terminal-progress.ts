import { createWriteStream, type WriteStream } from 'node:fs'
import cliProgress from 'cli-progress'
import type { ProgressEvent, ProgressSink } from '../../runner/run-progress.js'
import { finishedLine, runLine, suiteLine } from './progress-lines.js'
import { initialProgress, reduceProgress, type ProgressState } from './progress-state.js'

/** How a command shows a suite's progress and its messages. */
export interface ProgressDisplay {
  /** Feeds the runner's events in. */
  readonly sink: ProgressSink
  /** A line the user should see whatever the verbosity (a skipped scenario, the provider chosen). */
  notice(line: string): void
  /** Backend and balancer lifecycle: into the log file, on screen only when verbose. */
  chatter(line: string): void
  /** Text for standard output (summaries), kept apart from the live lines. */
  print(text: string): void
  /** Stops the live lines (leaving every finished line in place) and closes the log file. */
  close(): Promise<void>
}

/** Options of {@link createProgressDisplay}. */
export interface ProgressDisplayOptions {
  readonly stderr: NodeJS.WriteStream
  readonly stdout: NodeJS.WriteStream
  readonly verbose: boolean
  /** Where every notice, chatter line and finished run is appended, time-stamped. */
  readonly logFile?: string
  /** The clock the events are timed on. */
  readonly now: () => number
}

interface Screen {
  line(text: string): void
  event(state: ProgressState): void
  print(text: string): void
  close(): void
}

/**
 * A display of a suite's progress. On a terminal: one live line for the run being measured and
 * one for the suite (cli-progress redraws them in place; messages are printed whole above them).
 * Elsewhere (CI, a pipe): plain lines, one per finished run, no control characters.
 */
export function createProgressDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const log: WriteStream | undefined = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: 'a' })
  const toLog = (line: string) => {
    // A cleanup handler may still report after the display closed; the screen then has it alone.
    if (log !== undefined && !log.writableEnded) log.write(`${new Date().toISOString()} ${line}\n`)
  }
  let state = initialProgress
  const screen = options.stderr.isTTY === true ? liveScreen(options, () => state) : plainScreen(options)
  return {
    sink: (event: ProgressEvent) => {
      state = reduceProgress(state, event)
      if (event.type === 'run-end') {
        const line = finishedLine(event.run, state.done, state.total)
        toLog(line)
        screen.line(line)
      }
      screen.event(state)
    },
    notice: (line) => {
      toLog(line)
      screen.line(line)
    },
    chatter: (line) => {
      toLog(line)
      if (options.verbose) screen.line(line)
    },
    print: (text) => screen.print(text),
    close: async () => {
      screen.close()
      if (log !== undefined) await new Promise<void>((resolve) => log.end(resolve))
    },
  }
}

/** Plain lines; multi-line messages stay whole, and nothing but printable text and newlines. */
function plainScreen(options: ProgressDisplayOptions): Screen {
  return {
    line: (text) => options.stderr.write(`${withoutControls(text)}\n`),
    event: () => {},
    print: (text) => options.stdout.write(text),
    close: () => {},
  }
}

function liveScreen(options: ProgressDisplayOptions, current: () => ProgressState): Screen {
  const bars = new cliProgress.MultiBar({
    stream: options.stderr,
    fps: 4,
    hideCursor: true,
    clearOnComplete: true,
    // The lines are the pure renderers' output; cli-progress only draws them in place.
    format: (_options, _params, payload: { kind: 'run' | 'suite' }) => (payload.kind === 'run' ? runLine(current(), options.now()) : suiteLine(current(), options.now())),
  })
  let started = false
  const start = () => {
    if (started) return
    started = true
    bars.create(1, 0, { kind: 'run' })
    bars.create(1, 0, { kind: 'suite' })
  }
  // Before the bars exist (start-up messages), lines go straight out.
  const line = (text: string) => (started ? bars.log(`${text}\n`) : options.stderr.write(`${text}\n`))
  return {
    line,
    event: start,
    // Standard output on the same terminal goes above the live lines, like any message.
    print: (text) => (started && options.stdout.isTTY === true ? bars.log(text.endsWith('\n') ? text : `${text}\n`) : options.stdout.write(text)),
    close: () => {
      if (!started) return
      bars.update() // writes the messages still buffered
      bars.stop()
    },
  }
}

// C0 controls but tab and newline, DEL and C1 controls.
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

function withoutControls(text: string): string {
  return text.replace(CONTROLS, '')
}
