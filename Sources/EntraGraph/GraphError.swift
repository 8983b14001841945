/// Why a Microsoft Graph read failed: one sentence that names the request and the next step.
/// It never holds the client secret, the client assertion or an access token.
public struct GraphError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// An option or a file given for Graph cannot be used (exit 2).
        case configuration
        /// Entra ID refused the app's credential, or Graph the token (exit 3, as a refused bind).
        case credentialRefused
        /// Graph refused a request for lack of a permission (403): the message names it.
        case forbidden
        /// Graph or the token endpoint could not be reached or kept failing (exit 3).
        case network
        /// Graph answered an error the run cannot go past (400, 404, ...) (exit 3).
        case refused
        /// Graph answered 200 with a body that is not what it documents (exit 2).
        case badResponse
    }

    public var kind: Kind
    public var message: String
    /// A connection lost or an answer that did not come in time: worth another try. A refused
    /// connection or an untrusted certificate is not.
    var transient = false

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
