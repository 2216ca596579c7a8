select
    person_id,
    count(*) as copies
from dq.person
group by person_id
having count(*) > 1
