/** The events part of the workflow contract (src/workflows/contract): inputs and results of event workflows. */
// ---------------------------------------------------------------- events

/** Input of the `handleEvent` workflow: the Event row holds everything else. */
export interface EventInput {
  eventId: string;
}

/** Input of the `forwardEvent` child workflow (a route's webhook action). */
export interface ForwardEventInput {
  eventId: string;
  routeId: string;
}

/** What `handleEvent` did: the event's final status and one outcome per matched route. */
export interface EventResult {
  eventId: string;
  status: 'completed' | 'failed' | 'unmatched';
  actions: { routeId: string; status: 'completed' | 'failed'; workflowId: string | null }[];
}
