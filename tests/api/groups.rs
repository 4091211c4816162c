//! Groups, group leads and routing rules managed by administrators.
