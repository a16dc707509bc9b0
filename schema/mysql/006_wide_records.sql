-- Recordings of 2 GB and more and longer VOD ids: the original's INT and
-- VARCHAR(50) refused them (and recordings were lost). A database made
-- by the PHP server may have its tables in a 3-byte charset: file names
-- and recordings with 4-byte characters (emoji) need utf8mb4.
ALTER TABLE t_video_record MODIFY file_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE t_video_record MODIFY video_id VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE t_video_record CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE t_bind_file CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
