/** `GET /events` messages (moby api/types/events Message), legacy fields included. */
export interface EventMessage {
  /** Legacy: the action, for container and image events. */
  status?: string;
  /** Legacy: the actor ID, for container and image events. */
  id?: string;
  /** Legacy: the container's image, for container events. */
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: string;
  time: number;
  timeNano: number;
}
