/** The body of every error response: `{"message":"..."}`. */
export interface ErrorResponse {
  message: string;
}
