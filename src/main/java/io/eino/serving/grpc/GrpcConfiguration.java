package io.eino.serving.grpc;

import java.util.Map;

import io.eino.serving.client.ClientResolver;
import io.eino.serving.error.ErrorMetrics;
import io.eino.serving.error.SystemErrorMonitor;
import io.eino.serving.inference.ExampleInference;
import io.eino.serving.inference.InferenceService;
import io.eino.serving.model.ModelRegistry;
import io.eino.serving.server.Drain;
import io.micrometer.tracing.Tracer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.info.BuildProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.grpc.server.GlobalServerInterceptor;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

/**
 * The gRPC API on its own port ({@code eino.grpc.port}, default 8500 as TF Serving's),
 * served by Spring gRPC, which also adds the standard health service (fed by the
 * Actuator's health) and server reflection (docs/protocols.md, "gRPC"). Off with
 * {@code eino.grpc.enabled=false}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.grpc.server.enabled", matchIfMissing = true)
class GrpcConfiguration {

	/** The property holding the gRPC server's port once it listens. */
	static final String LOCAL_PORT = "local.grpc.port";

	/**
	 * Publishes the port the gRPC server listens on as {@value #LOCAL_PORT}, as Spring
	 * Boot publishes {@code local.server.port} (useful with {@code eino.grpc.port=0}).
	 */
	@Bean
	ApplicationListener<GrpcServerStartedEvent> grpcPortPublisher(ConfigurableEnvironment environment) {
		return (event) -> environment.getPropertySources()
			.addFirst(new MapPropertySource("eino.grpc.local", Map.of(LOCAL_PORT, event.getPort())));
	}

	@Bean
	@GlobalServerInterceptor
	CallContext grpcCallContext(ClientResolver clients, ObjectProvider<Tracer> tracer) {
		return new CallContext(clients, tracer.getIfAvailable(() -> Tracer.NOOP));
	}

	/** Health by the name of each protocol service, as the server's. */
	@Bean
	@GlobalServerInterceptor
	ServiceHealthNames grpcServiceHealthNames() {
		return new ServiceHealthNames();
	}

	/**
	 * Server reflection's older {@code v1alpha} beside the {@code v1} Spring gRPC adds:
	 * many tools (grpcurl before 1.9, Postman, Evans) speak only {@code v1alpha}.
	 */
	@Bean
	@SuppressWarnings("deprecation")
	io.grpc.BindableService grpcReflectionV1Alpha() {
		return io.grpc.protobuf.services.ProtoReflectionService.newInstance();
	}

	/** Every service bound with its messages parsed under {@link MessageParsing}. */
	@Bean
	GuardedServices grpcServiceConfigurer(ApplicationContext context, ErrorMetrics errors,
			SystemErrorMonitor systemErrors) {
		return new GuardedServices(context, new GrpcFailures(errors, systemErrors));
	}

	@Bean
	GrpcCalls grpcCalls(ErrorMetrics errors, SystemErrorMonitor systemErrors) {
		return new GrpcCalls(new GrpcFailures(errors, systemErrors));
	}

	@Bean
	PredictionServiceEndpoint tfServingPredictionService(InferenceService inference, ExampleInference examples,
			ModelRegistry registry, CallContext grpcCallContext, GrpcCalls grpcCalls) {
		return new PredictionServiceEndpoint(inference, examples, registry, grpcCallContext, grpcCalls);
	}

	@Bean
	ModelServiceEndpoint tfServingModelService(ModelRegistry registry, GrpcCalls grpcCalls) {
		return new ModelServiceEndpoint(registry, grpcCalls);
	}

	@Bean
	InferenceServiceEndpoint openInferenceService(InferenceService inference, ModelRegistry registry, Drain drain,
			CallContext grpcCallContext, GrpcCalls grpcCalls, ObjectProvider<BuildProperties> build) {
		BuildProperties properties = build.getIfAvailable();
		return new InferenceServiceEndpoint(inference, registry, drain, grpcCallContext, grpcCalls,
				(properties != null) ? properties.getVersion() : "unknown");
	}

}
