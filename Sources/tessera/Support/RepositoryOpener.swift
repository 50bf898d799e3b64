import ArgumentParser
import Foundation
import Logging
import TesseraBackends
import TesseraCore

/// Turns the global options into an open repository.
enum RepositoryOpener {
    /// The backend the repository URL names, in its decorators (BackendFactory).
    static func backendStack(_ options: GlobalOptions, windowedReads: Bool = true) throws -> BackendStack {
        guard let location = options.repositoryLocation, !location.isEmpty else {
            throw TesseraError.invalidArgument("no repository given: use -r/--repo or set TESSERA_REPOSITORY")
        }
        let url: RepositoryURL
        do {
            url = try RepositoryURL.parse(location)
        } catch .invalid(let message) {
            // A malformed URL is a wrong command line (exit 64).
            throw ValidationError(message)
        } catch {
            throw TesseraError.invalidArgument(error.description)
        }
        var backendOptions = BackendOptions(environment: options.environment)
        backendOptions.connections = options.connections
        backendOptions.windowedReads = windowedReads
        backendOptions.uploadBytesPerSecond = options.limitUpload.map { $0 * 1024 }
        backendOptions.downloadBytesPerSecond = options.limitDownload.map { $0 * 1024 }
        let output = options.output
        backendOptions.onRetry = { event in
            output.detail("retrying in \(String(format: "%.1f", event.delay)) s (attempt \(event.attempt) failed): \(event.error)")
        }
        return try BackendFactory.make(url, options: backendOptions)
    }

    static func backend(_ options: GlobalOptions) throws -> any Backend {
        try backendStack(options).backend
    }

    static func logger(_ options: GlobalOptions) -> Logger {
        var logger = Logger(label: "tessera")
        logger.logLevel = options.verbose ? .info : .warning
        return logger
    }

    static func open(_ options: GlobalOptions, synchronize: Bool = true) async throws -> Repository {
        try await openMeasured(options, synchronize: synchronize).repository
    }

    /// The repository and the backend stack under it, whose counters the summaries report.
    static func openMeasured(_ options: GlobalOptions, synchronize: Bool = true, windowedReads: Bool = true) async throws -> (repository: Repository, stack: BackendStack) {
        let stack = try backendStack(options, windowedReads: windowedReads)
        let backend = stack.backend
        // Fail fast on a missing repository, before asking for a password.
        guard try await backend.exists(.config) else { throw TesseraError.repositoryNotFound(location: backend.location) }
        let password = try PasswordSource.password(options)
        let repository = try await Repository.open(backend: backend, password: password, cacheRoot: options.cacheRoot, logger: logger(options), synchronize: synchronize)
        if let windowed = backend as? WindowedReadBackend {
            windowed.rememberSizes(try repository.index.packs().map { (ObjectHandle(kind: .data, id: $0.id), $0.size) })
        }
        return (repository, stack)
    }

    /// Runs `body` holding a lock; releases it however `body` ends.
    static func withLock<T>(_ repository: Repository, exclusive: Bool, command: String, _ body: () async throws -> T) async throws -> T {
        let lock = try await RepositoryLock.acquire(repository, exclusive: exclusive, command: command)
        let token = InterruptHandler.shared.register { await lock.release() }
        defer { InterruptHandler.shared.unregister(token) }
        do {
            let result = try await body()
            await lock.release()
            return result
        } catch {
            await lock.release()
            throw error
        }
    }
}
