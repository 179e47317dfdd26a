package io.eino.serving.grpc;

import io.grpc.ServerServiceDefinition;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.context.ApplicationContext;
import org.springframework.grpc.server.GrpcServerFactory;
import org.springframework.grpc.server.service.DefaultGrpcServiceConfigurer;
import org.springframework.grpc.server.service.GrpcServiceConfigurer;
import org.springframework.grpc.server.service.GrpcServiceSpec;

/**
 * Binds every gRPC service of the server (the protocols', health, reflection) as Spring
 * gRPC does, its global interceptors around it, with the service's messages parsed within
 * the call under {@link MessageParsing}, so that a malformed message is refused as bad
 * input by every method.
 */
final class GuardedServices implements GrpcServiceConfigurer, InitializingBean {

	private final DefaultGrpcServiceConfigurer binding;

	private final GrpcFailures failures;

	GuardedServices(ApplicationContext context, GrpcFailures failures) {
		this.binding = new DefaultGrpcServiceConfigurer(context);
		this.failures = failures;
	}

	@Override
	public void afterPropertiesSet() {
		this.binding.afterPropertiesSet();
	}

	@Override
	public ServerServiceDefinition configure(GrpcServiceSpec spec, GrpcServerFactory factory) {
		GrpcServiceSpec guarded = new GrpcServiceSpec(
				() -> MessageParsing.guarded(spec.service().bindService(), this.failures), spec.serviceInfo());
		return this.binding.configure(guarded, factory);
	}

}
