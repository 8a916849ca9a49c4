import FlyteAuthCore

/// RFC 8628 device authorization grant.
struct DeviceFlow: Flow {
    var refreshes: Bool { true }

    func obtain(_ context: FlowContext) throws(AuthError) -> Credentials {
        let settings = context.settings
        let login = try InteractiveLogin(context, what: "a device login")
        let p = login.parameters
        guard let deviceEndpoint = p.deviceAuthorizationEndpoint else {
            throw AuthError(.unsupported, "Device Authentication is not available on the Flyte backend / authentication server (no device_authorization_endpoint in its OAuth2 metadata; set \"device_authorization_endpoint\" or use Pkce)")
        }
        let (tokenEndpoint, clientID) = (login.tokenEndpoint, login.clientID)
        let start = Clock.now()
        let authorization = try DeviceAuthorization.decode(
            try context.send(TokenRequests.deviceAuthorization(endpoint: deviceEndpoint, clientID: clientID,
                                                               scopes: p.scopes, audience: p.audience)),
            endpoint: deviceEndpoint, now: start)
        if let prompt = context.interaction.devicePromptHandler {
            prompt(authorization)
        } else {
            let minutes = max(1, Int(saturatingSeconds: (authorization.expiresAt - start) / 60))
            Logger.writeStderr("To log in to Flyte, open \(authorization.preferredURI)\nand confirm the code \(authorization.userCode) (it expires in \(minutes) min).\n")
        }
        var polling = DevicePolling(authorization: authorization, timeout: settings.deviceFlowTimeoutSeconds, now: start)
        var wait = polling.firstWait(now: Clock.now())
        while true {
            Clock.sleep(wait) { context.cancel.isCancelled }
            if context.cancel.isCancelled { throw AuthError(.cancelled, "the device login was cancelled") }
            let step: DevicePolling.Step
            do throws(AuthError) {
                let sentAt = Clock.now()
                var request = TokenRequests.deviceToken(endpoint: tokenEndpoint, deviceCode: authorization.deviceCode, clientID: clientID,
                                                         auth: try context.clientAuthentication(clientID: clientID, tokenEndpoint: tokenEndpoint))
                request.timeout = polling.requestTimeout(now: sentAt)  // the last poll ends at the deadline
                let response = try context.send(request)
                step = polling.next(after: response, endpoint: tokenEndpoint, sentAt: sentAt, now: Clock.now())
            } catch where error.isTransient {
                context.logger.log(.info, "device login: polling failed (\(error.message)); trying again")
                step = polling.afterTransientFailure(error, now: Clock.now())
            }
            switch step {
            case .done(let credentials):
                return credentials
            case .wait(let seconds):
                wait = seconds
            case .fail(let error):
                throw error
            }
        }
    }
}
