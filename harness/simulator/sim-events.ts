/**
 * Kinds of the simulation's events and their integer arguments (a, b, c). One table, so that the
 * parts scheduling events (the loop, the stations, the control plane) never collide.
 */

/** A job's service ends (a = job, b = the job's serial). */
export const EV_DEPART = 1
/** A job reaches its backend across the network (a = job, b = job serial). */
export const EV_ARRIVE = 2
/** A backend's answer reaches the balancer (a = request, b = attempt generation, c = answer). */
export const EV_RESPONSE = 3
/** The balancer's own answer (no route, no backend) reaches the client (a = request, b = request generation, c = status). */
export const EV_LOCAL = 4
/** A closed-loop client sends its next request (a = client). */
export const EV_CLIENT = 5
/** A health probe starts (a = pool, b = backend). */
export const EV_PROBE = 6
/** A health probe's result is in (a = pool, b = backend, c = 1 ok / 0 failed). */
export const EV_PROBE_RESULT = 7
/** A timeline action (a = entry). */
export const EV_TIMELINE = 8
/** Outlier ejections may have ended (a = pool). */
export const EV_OUTLIER = 9
/** The end of the measured phase's sending. */
export const EV_STOP = 10
/** The balancer's CPU finished processing a request (a = request, b = request generation). */
export const EV_CPU = 11

/** Answer code of a connection the backend refused (it is dead or gone). */
export const REFUSED_ANSWER = -1
