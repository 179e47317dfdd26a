package io.eino.serving.error;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The error counter and the system-error health indicator ({@code systemErrors}, in the
 * readiness group).
 */
@Configuration(proxyBeanMethods = false)
class ErrorConfiguration {

	@Bean
	ErrorMetrics errorMetrics(MeterRegistry meters) {
		return new ErrorMetrics(meters);
	}

	@Bean
	SystemErrorMonitor systemErrors(ErrorProperties properties) {
		return new SystemErrorMonitor(properties.systemErrorThreshold(), properties.systemErrorWindow(),
				System::nanoTime);
	}

}
