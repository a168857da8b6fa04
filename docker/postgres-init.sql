-- Temporal keeps its own databases beside Ferry's (auto-setup creates the schemas).
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
