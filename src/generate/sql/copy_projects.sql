COPY plan_projects (id, plan_id, sector, name_th, amendment_id) FROM STDIN
