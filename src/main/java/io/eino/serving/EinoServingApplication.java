package io.eino.serving;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class EinoServingApplication {

	public static void main(String[] args) {
		SpringApplication.run(EinoServingApplication.class, args);
	}

}
