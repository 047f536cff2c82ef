# syntax=docker/dockerfile:1
# NECP Event Mesh: the jar built by Maven, run on a slim JRE 17 as a non-root user.
#   docker build -t necpgame/event-mesh:0.1.0 .
#   docker run -p 8080:8080 necpgame/event-mesh:0.1.0          (embedded Kafka and PostgreSQL, as on a laptop)

# ---- build: Maven with JDK 17; dependencies are a layer of their own so source edits do not download them again
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -ntp -q dependency:go-offline
COPY schemas schemas
COPY src src
RUN mvn -B -ntp -q -o package -DskipTests \
 && cp target/event-mesh.jar /event-mesh.jar

# ---- runtime: JRE only
FROM eclipse-temurin:17-jre-jammy
RUN groupadd --system --gid 10001 mesh \
 && useradd --system --uid 10001 --gid mesh --home-dir /opt/event-mesh --shell /usr/sbin/nologin mesh \
 && mkdir -p /opt/event-mesh/conf /var/lib/event-mesh \
 && chown -R mesh:mesh /var/lib/event-mesh
WORKDIR /opt/event-mesh
COPY --from=build /event-mesh.jar /opt/event-mesh/event-mesh.jar
# the defaults and the topic table, to read and to copy into a config of one's own (the jar holds the same files)
COPY src/main/resources/conf/ /opt/event-mesh/conf/
USER 10001:10001
ENV MESH_DATA_DIR=/var/lib/event-mesh \
    MESH_HTTP_HOST=0.0.0.0 \
    MESH_HTTP_PORT=8080 \
    JAVA_TOOL_OPTIONS=""
VOLUME ["/var/lib/event-mesh"]
EXPOSE 8080
# /health over bash's /dev/tcp: the JRE image has no curl, and a JVM per check would cost more than the check
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${MESH_HTTP_PORT} && printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# SIGTERM reaches the JVM directly (exec form, PID 1): readiness goes false, in-flight publishes drain, offsets are
# committed, all within shutdown.grace_ms.
STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "-XX:+UseContainerSupport", "-XX:MaxRAMPercentage=75", "-XX:InitialRAMPercentage=25", \
  "-XX:+ExitOnOutOfMemoryError", "-XX:+UseG1GC", "-Djava.security.egd=file:/dev/./urandom", \
  "-jar", "/opt/event-mesh/event-mesh.jar"]
CMD []
