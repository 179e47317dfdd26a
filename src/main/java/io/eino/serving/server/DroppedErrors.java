package io.eino.serving.server;

import java.nio.channels.ClosedChannelException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Hooks;
import reactor.netty.channel.AbortedException;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;

/**
 * What becomes of the errors Reactor drops, signalled after the sequence they belong to
 * had ended. Those a client causes (a body that stopped arriving, after the request was
 * answered 408 and counted; a connection the client closed or reset) are logged at DEBUG,
 * where Reactor's default logs each at ERROR: a client must not be able to fill the log
 * with errors. Any other dropped error is still logged at ERROR, with its stack trace.
 */
final class DroppedErrors implements InitializingBean, DisposableBean {

	private static final Logger logger = LoggerFactory.getLogger(DroppedErrors.class);

	@Override
	public void afterPropertiesSet() {
		Hooks.onErrorDropped(DroppedErrors::dropped);
	}

	@Override
	public void destroy() {
		Hooks.resetOnErrorDropped();
	}

	static void dropped(Throwable error) {
		if (clientCaused(error)) {
			logger.debug("A client's request ended before this error reached it: {}", error.toString());
		}
		else {
			logger.error("An error arrived after the sequence it belongs to had ended", error);
		}
	}

	/** Reactor Netty's body timeout, a class it does not make public. */
	private static final String REQUEST_TIMEOUT = "reactor.netty.http.server.RequestTimeoutException";

	/** Whether the client's bytes, or its going away, caused it. */
	static boolean clientCaused(Throwable error) {
		return error.getClass().getName().equals(REQUEST_TIMEOUT) || error instanceof AbortedException
				|| error instanceof ClosedChannelException || AbortedException.isConnectionReset(error);
	}

}
